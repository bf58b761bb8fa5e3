import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';

/** How long a key is remembered. */
const KEY_TTL = '24 hours';

/**
 * Idempotency keys for POSTs that enqueue work: the first request with a key does the work and its
 * answer is kept; a retry with the same key and body gets that answer again instead of a second
 * command or push. The key is claimed before the work starts, so two racing retries can't both run.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly dataSource: DataSource) {}

  async run<T extends object>(scope: string, key: string | undefined, body: unknown, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new UnprocessableEntityException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    const hash = createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '${KEY_TTL}'`);
    const claimed: unknown[] = await this.dataSource.query(
      `WITH ins AS (
         INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (scope, key) DO NOTHING RETURNING 1)
       SELECT 1 FROM ins`,
      [scope, key, hash],
    );
    if (!claimed.length) return this.replay<T>(scope, key, hash);
    try {
      const answer = await work();
      await this.dataSource.query(`UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2`, [scope, key, JSON.stringify(answer)]);
      return answer;
    } catch (err) {
      // A refused or failed request leaves nothing behind: the client may fix it and retry with the key.
      await this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key]);
      throw err;
    }
  }

  private async replay<T>(scope: string, key: string, hash: string): Promise<T> {
    const rows: Array<{ request_hash: string; response: T | null }> = await this.dataSource.query(
      `SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const row = rows[0];
    if (!row) throw new ConflictException('Idempotency-Key: the first request with this key just failed; retry');
    if (row.request_hash !== hash) throw new UnprocessableEntityException('Idempotency-Key was already used with a different body');
    if (row.response === null) throw new ConflictException('Idempotency-Key: the first request with this key is still being served; retry shortly');
    return row.response;
  }
}
