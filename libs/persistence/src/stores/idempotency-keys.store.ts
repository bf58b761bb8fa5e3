import { select, selectOne, type Sql } from '../sql';

/** What the first request with a key stored: the hash of its body and its record (null until recorded). */
export interface StoredIdempotencyKey<R> {
  requestHash: string;
  response: R | null;
}

/** Idempotency keys of the command service's POSTs (`idempotency_keys`), written by the command service only. */
export const IdempotencyKeysStore = {
  /** Forgets keys older than `ttl` (a Postgres interval such as `24 hours`, never user input). */
  async deleteOlderThan(db: Sql, ttl: string): Promise<void> {
    await db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`, [ttl]);
  },

  /**
   * Claims the key in the caller's transaction: waits for a concurrent transaction holding the same key,
   * and claims nothing (false) if that one committed.
   */
  async claim(tx: Sql, scope: string, key: string, requestHash: string): Promise<boolean> {
    const rows = await select(
      tx,
      `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [scope, key, requestHash],
    );
    return rows.length > 0;
  },

  /** The work's record (JSON), stored with the key it was claimed under. */
  async record(tx: Sql, scope: string, key: string, record: unknown): Promise<void> {
    await tx.query(`UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2`, [scope, key, JSON.stringify(record)]);
  },

  async find<R>(db: Sql, scope: string, key: string): Promise<StoredIdempotencyKey<R> | undefined> {
    const row = await selectOne<{ request_hash: string; response: R | null }>(
      db,
      `SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return row && { requestHash: row.request_hash, response: row.response };
  },
};
