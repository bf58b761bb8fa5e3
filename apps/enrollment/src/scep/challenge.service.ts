import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EnrollmentChallengeStore } from '@mdm/persistence';
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
    await EnrollmentChallengeStore.insert(this.dataSource, hash(challenge), topic, expiresAt);
    // Trimming here keeps the table small without a job.
    await EnrollmentChallengeStore.deleteExpired(this.dataSource);
    return { challenge, expiresAt };
  }

  /** Consumes a challenge; says why it was refused otherwise. */
  async consume(challenge: string | undefined): Promise<ChallengeVerdict> {
    if (!challenge) return 'unknown';
    if (this.staticChallenge && timingSafeEqual(Buffer.from(hash(challenge)), this.staticChallenge)) return 'ok';
    const h = hash(challenge);
    if (await EnrollmentChallengeStore.consume(this.dataSource, h)) return 'ok';
    const state = await EnrollmentChallengeStore.state(this.dataSource, h);
    if (!state) return 'unknown';
    return state.usedAt ? 'used' : 'expired';
  }
}
