import { rowsOf, type Sql } from '../sql';
import { pushableDeviceSql } from './device-push-status.store';

/** `certificate`: a push certificate for the device's topic was stored again, and commands wait. */
export type PushRequestReason = 'command' | 'manual' | 'retry' | 'sweep' | 'notnow' | 'certificate';

/**
 * Records that these devices should be pushed, no earlier than `delayMs` from now, and returns the ids of
 * the rows that need a `push.batch` job `delayMs` from now. A device that already has a pending request
 * gets no second row (that request covers it: this is the coalescing); if that request waits longer (a
 * NotNow backoff), it is brought forward and its id returned, since its own job comes too late. One
 * being sent (leased) is marked `again` with the new time, so its completion keeps it to push once more. A
 * device that cannot be pushed (`pushableDeviceSql`) gets none at all. Run it in the transaction that
 * made the push necessary, so the request exists exactly when the reason for it does. This is how
 * other services ask the push service to push: they insert requests, the push service sends them.
 */
export async function insertPushRequests(
  tx: Sql,
  deviceIds: readonly string[],
  reason: PushRequestReason,
  delayMs: number,
  attempt = 1,
): Promise<string[]> {
  if (!deviceIds.length) return [];
  const raw: unknown = await tx.query(
    `INSERT INTO push_requests AS p (device_id, reason, attempt, not_before)
     SELECT d.id, $2, $4, now() + make_interval(secs => $3::double precision / 1000)
       FROM devices d
      WHERE d.id = ANY($1::uuid[]) AND ${pushableDeviceSql('d')}
      ORDER BY d.id
     ON CONFLICT (device_id) WHERE status = 'pending'
       DO UPDATE SET again = p.lease_until IS NOT NULL OR p.again,
                     not_before = CASE WHEN p.lease_until IS NOT NULL AND NOT p.again THEN EXCLUDED.not_before
                                       ELSE least(p.not_before, EXCLUDED.not_before) END
        WHERE p.not_before > EXCLUDED.not_before OR (p.lease_until IS NOT NULL AND NOT p.again)
     RETURNING id`,
    [deviceIds, reason, delayMs, attempt],
  );
  return rowsOf<{ id: string }>(raw).map((r) => String(r.id));
}
