import type { EntityManager } from 'typeorm';

/** `certificate`: a push certificate for the device's topic was stored again, and commands wait. */
export type PushRequestReason = 'command' | 'manual' | 'retry' | 'sweep' | 'notnow' | 'certificate';

/**
 * Records that these devices should be pushed, no earlier than `delayMs` from now, and returns the ids of
 * the rows that need a `push.batch` job `delayMs` from now. A device that already has a pending request
 * gets no second row (that request covers it: this is the coalescing); if that request waits longer (a
 * NotNow backoff), it is brought forward and its id returned, since its own job comes too late. A
 * device that cannot be pushed (not enrolled, no token, a token APNs called dead) gets none at all. Run it in the transaction that made the push necessary, so the
 * request exists exactly when the reason for it does.
 */
export async function insertPushRequests(
  tx: EntityManager,
  deviceIds: readonly string[],
  reason: PushRequestReason,
  delayMs: number,
  attempt = 1,
): Promise<string[]> {
  if (!deviceIds.length) return [];
  const raw: unknown = await tx.query(
    `INSERT INTO push_requests (device_id, reason, attempt, not_before)
     SELECT d.id, $2, $4, now() + make_interval(secs => $3::double precision / 1000)
       FROM devices d
      WHERE d.id = ANY($1::uuid[]) AND d.enrolled AND d.push_token IS NOT NULL AND d.token_invalid_at IS NULL
      ORDER BY d.id
     ON CONFLICT (device_id) WHERE status = 'pending'
       DO UPDATE SET not_before = EXCLUDED.not_before WHERE push_requests.not_before > EXCLUDED.not_before
     RETURNING id`,
    [deviceIds, reason, delayMs, attempt],
  );
  return rowsOf<{ id: string }>(raw).map((r) => String(r.id));
}

/**
 * The rows of a `... RETURNING` statement: TypeORM's Postgres driver answers UPDATE and DELETE with
 * `[rows, rowCount]` but INSERT and SELECT with the rows alone.
 */
export function rowsOf<T>(raw: unknown): T[] {
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') return raw[0] as T[];
  return raw as T[];
}

/**
 * For the rest of the caller's transaction: join small id lists (`unnest($1)`, `= ANY($1)`) to big tables
 * by primary-key lookups, never by scanning. Without it the planner, whose statistics lag behind a bulk
 * load (100,000 rows inserted a second ago, autovacuum not yet run), hash-joins each group of 256 outcomes
 * against a sequential scan of `devices`, `command_deliveries` or every `sending` row of `push_requests`:
 * O(table) per group, O(N²) for a fleet push. Only for statements that look rows up by key.
 */
export async function preferIndexLookups(tx: EntityManager): Promise<void> {
  await tx.query(
    `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
            set_config('enable_mergejoin', 'off', true), set_config('enable_bitmapscan', 'off', true)`,
  );
}
