import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';

const hash = (challenge: string): string => createHash('sha256').update(challenge).digest('hex');

export type ChallengeVerdict = 'ok' | 'unknown' | 'expired' | 'used';

/**
 * One-time SCEP challenges, minted with each enrollment profile download. Only their hashes are
 * stored, and a challenge is consumed atomically, so two SCEP requests racing with the same one
 * can't both get a certificate.
 */
@Injectable()
export class ChallengeService {
  private readonly staticChallenge: Buffer | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ENROLLMENT_CONFIG) private readonly config: EnrollmentConfig,
  ) {
    this.staticChallenge = config.MDM_SCEP_STATIC_CHALLENGE ? Buffer.from(hash(config.MDM_SCEP_STATIC_CHALLENGE)) : undefined;
  }

  async mint(topic: string): Promise<{ challenge: string; expiresAt: Date }> {
    const challenge = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.MDM_SCEP_CHALLENGE_TTL_SECONDS * 1000);
    await this.dataSource.query(
      `INSERT INTO enrollment_challenges (challenge_hash, topic, expires_at) VALUES ($1, $2, $3)`,
      [hash(challenge), topic, expiresAt],
    );
    // Expired challenges are useless; trimming them here keeps the table small without a job.
    await this.dataSource.query(`DELETE FROM enrollment_challenges WHERE expires_at < now() - interval '1 day'`);
    return { challenge, expiresAt };
  }

  /** Consumes a challenge; says why it was refused otherwise. */
  async consume(challenge: string | undefined): Promise<ChallengeVerdict> {
    if (!challenge) return 'unknown';
    if (this.staticChallenge && timingSafeEqual(Buffer.from(hash(challenge)), this.staticChallenge)) return 'ok';
    const h = hash(challenge);
    const consumed: unknown[] = await this.dataSource.query(
      // Wrapped in a SELECT so the driver hands back the rows (a bare UPDATE answers [rows, count]).
      `WITH used AS (
         UPDATE enrollment_challenges SET used_at = now()
          WHERE challenge_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id)
       SELECT id FROM used`,
      [h],
    );
    if (consumed.length) return 'ok';
    const rows: Array<{ used_at: Date | null; expires_at: Date }> = await this.dataSource.query(
      `SELECT used_at, expires_at FROM enrollment_challenges WHERE challenge_hash = $1`,
      [h],
    );
    const row = rows[0];
    if (!row) return 'unknown';
    return row.used_at ? 'used' : 'expired';
  }
}
