import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { IdempotencyKeysStore } from '@mdm/persistence';

/** How long a key is remembered. */
const KEY_TTL = '24 hours';

/** What `run` returns: the work's record, and whether it came from an earlier request with the same key. */
export interface Once<R> {
  value: R;
  replayed: boolean;
}

/** Thrown inside the work's transaction when another request committed the key first: roll back, replay. */
class KeyTaken extends Error {}

/**
 * Idempotency keys for POSTs that enqueue work: the first request with a key does the work; a retry
 * with the same key and body gets the first request's record instead of a second command or push.
 *
 * The key is inserted in the same transaction as the work, with the work's record (what the answer is
 * built from): both commit or neither does. A crash, a lost database connection or a refused request
 * leaves no key behind, so the client's retry does the work; a retry racing the first request waits on
 * the key's row until that request commits (then replays it) or rolls back (then does the work itself).
 * There is no "in progress" state to get stuck in.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly dataSource: DataSource) {}

  /** `work` runs in a transaction; what it returns must be JSON (it is stored and replayed as such). */
  async run<R>(scope: string, key: string | undefined, body: unknown, work: (tx: EntityManager) => Promise<R>): Promise<Once<R>> {
    if (key === undefined) return { value: await this.dataSource.transaction(work), replayed: false };
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new UnprocessableEntityException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    const hash = createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
    await IdempotencyKeysStore.deleteOlderThan(this.dataSource, KEY_TTL);
    try {
      const value = await this.dataSource.transaction(async (tx) => {
        if (!(await IdempotencyKeysStore.claim(tx, scope, key, hash))) throw new KeyTaken();
        const record = await work(tx);
        await IdempotencyKeysStore.record(tx, scope, key, record);
        return record;
      });
      return { value, replayed: false };
    } catch (err) {
      if (!(err instanceof KeyTaken)) throw err;
    }
    return { value: await this.replay<R>(scope, key, hash), replayed: true };
  }

  private async replay<R>(scope: string, key: string, hash: string): Promise<R> {
    const row = await IdempotencyKeysStore.find<R>(this.dataSource, scope, key);
    // Expired between the insert and this read (24 h after the first request): as good as unused.
    if (!row) throw new ConflictException('Idempotency-Key: the first request with this key has just expired; retry');
    if (row.requestHash !== hash) throw new UnprocessableEntityException('Idempotency-Key was already used with a different body');
    // Only rows written before keys committed with their work can lack a record.
    if (row.response === null) throw new ConflictException('Idempotency-Key: the first request with this key did not record its result; use a new key');
    return row.response;
  }
}
