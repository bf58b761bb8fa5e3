import { preferIndexLookups, select, selectOne, type Sql } from '../sql';
import { DEVICE_PUSH_FACT_COLUMNS, type DevicePushFactColumns, type DevicePushFacts, pushFactsOf } from './device-push-status.store';

/** A claimed push request with what sending it needs. */
export interface ClaimedPush extends DevicePushFacts {
  id: string;
  deviceId: string;
  attempt: number;
  udid: string;
  /** The stored push certificate of the device's topic, read with the claim; null when none is stored. */
  certificateFingerprint: string | null;
  /** The X-Request-Id of the API call whose command created this request (see the CorrelationIds migration). */
  correlationId: string | null;
}

/** How a push request ended, as the push worker writes it. */
export interface PushRequestOutcome {
  id: string;
  status: 'sent' | 'failed' | 'skipped';
  outcome: string;
  reason: string | null;
  apnsId: string | null;
}

interface ClaimedRow extends DevicePushFactColumns {
  id: string;
  device_id: string;
  attempt: number;
  udid: string;
  certificate_fingerprint: string | null;
  correlation_id: string | null;
}

/** Spelt out, not `{ ...pushFactsOf(r), … }`: V8's object spread costs ~10 µs per claimed row here. */
function fromRow(r: ClaimedRow): ClaimedPush {
  const facts = pushFactsOf(r);
  return {
    enrolled: facts.enrolled,
    topic: facts.topic,
    pushToken: facts.pushToken,
    pushMagic: facts.pushMagic,
    enrollmentId: facts.enrollmentId,
    tokenUpdateCount: facts.tokenUpdateCount,
    deadToken: facts.deadToken,
    id: r.id,
    deviceId: r.device_id,
    attempt: r.attempt,
    udid: r.udid,
    certificateFingerprint: r.certificate_fingerprint,
    correlationId: r.correlation_id,
  };
}

/** What `complete` wrote: the ids still leased by the caller, and those of them released to be pushed again. */
export interface CompletedPushes {
  written: Set<string>;
  released: Array<{ id: string; delayMs: number }>;
}

/** `$n` milliseconds from now, as an interval. */
const LEASE_END = (param: string): string => `now() + make_interval(secs => ${param}::double precision / 1000)`;

/**
 * The push service's leases on push_requests: a worker claims rows with a lease (one UPDATE per batch),
 * renews it while the batch is in flight, and writes the outcomes (one UPDATE per group) only while the
 * lease is still its own. Only the push service writes these columns; other services insert requests
 * (`insertPushRequests`).
 */
export const PushClaimsStore = {
  /**
   * Claims whichever of these requests are unleased or whose lease ran out, for `owner` and `leaseMs`,
   * with the device and certificate facts sending needs. Only the unindexed lease columns change (a HOT
   * update); the row stays `pending`, so commands coalesce into it while it is sent. Clearing `again`:
   * this push comes after whatever set it. Run in a transaction (it prefers index lookups for the rest
   * of it). The rows come in no particular order.
   */
  async claim(tx: Sql, ids: readonly string[], owner: string, leaseMs: number): Promise<ClaimedPush[]> {
    await preferIndexLookups(tx);
    const rows = await select<ClaimedRow>(
      tx,
      `UPDATE push_requests p
          SET lease_owner = $2, lease_until = ${LEASE_END('$3')}, again = false
         FROM devices d LEFT JOIN apns_certificates c ON c.topic = d.topic LEFT JOIN device_push_status s ON s.device_id = d.id
        WHERE p.id = ANY($1::bigint[]) AND d.id = p.device_id
          AND p.status = 'pending' AND (p.lease_until IS NULL OR p.lease_until < now())
        RETURNING p.id::text AS id, p.device_id, p.attempt, d.udid, ${DEVICE_PUSH_FACT_COLUMNS},
                  c.fingerprint AS certificate_fingerprint, p.correlation_id`,
      [ids, owner, leaseMs],
    );
    return rows.map(fromRow);
  },

  /**
   * Extends `owner`'s lease on these requests. Rows whose outcome is written (lease_until cleared) or that
   * another worker took are left alone; rows an outcome write holds right now are skipped, not waited
   * for, so the two never deadlock.
   */
  async renew(db: Sql, ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
    await db.query(
      `UPDATE push_requests SET lease_until = ${LEASE_END('$3')}
        WHERE id IN (SELECT id FROM push_requests
                      WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND lease_until IS NOT NULL
                        FOR UPDATE SKIP LOCKED)`,
      [ids, owner, leaseMs],
    );
  },

  /**
   * Writes these outcomes where `owner` still holds the lease; the others were claimed again after the
   * lease ran out. A sent or skipped request carries nothing worth keeping (the device's status and the
   * events say it), so its row is deleted; a failed one stays as history. A row a command coalesced into
   * while it was sent (`again`) is released instead: it stays pending, unleased, and is returned in
   * `released` with the delay its next push waits. Run after `preferIndexLookups` in the caller's transaction.
   */
  async complete(tx: Sql, owner: string, outcomes: readonly PushRequestOutcome[], at: Date): Promise<CompletedPushes> {
    const finished = outcomes.filter((o) => o.status !== 'failed').map((o) => o.id);
    const failed = outcomes.filter((o) => o.status === 'failed');
    // "Still ours" is lease_owner = us with a lease: only the claim sets lease_until, only this write clears it.
    const deleted = finished.length
      ? await select<{ id: string }>(
          tx,
          `DELETE FROM push_requests p USING unnest($1::bigint[]) AS x(id)
            WHERE p.id = x.id AND p.lease_owner = $2 AND p.lease_until IS NOT NULL AND NOT p.again
            RETURNING p.id::text AS id`,
          [finished, owner],
        )
      : [];
    const updated = failed.length
      ? await select<{ id: string }>(
          tx,
          `UPDATE push_requests p
              SET status = x.status, outcome = x.outcome, outcome_reason = x.reason, apns_id = x.apns_id,
                  completed_at = $6, lease_until = NULL
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(id, status, outcome, reason, apns_id)
            WHERE p.id = x.id AND p.lease_owner = $7 AND p.lease_until IS NOT NULL AND NOT p.again
            RETURNING p.id::text AS id`,
          [
            failed.map((o) => o.id),
            failed.map((o) => o.status),
            failed.map((o) => o.outcome),
            failed.map((o) => o.reason),
            failed.map((o) => o.apnsId),
            at,
            owner,
          ],
        )
      : [];
    const written = new Set([...deleted, ...updated].map((r) => r.id));
    const rest = written.size === outcomes.length ? [] : outcomes.map((o) => o.id).filter((id) => !written.has(id));
    // The statements above skipped these rows only if `again` was set (it stays set until a claim) or the lease is lost.
    const released = rest.length
      ? await select<{ id: string; delay_ms: number }>(
          tx,
          `UPDATE push_requests p SET lease_owner = NULL, lease_until = NULL, again = false
             FROM unnest($1::bigint[]) AS x(id)
            WHERE p.id = x.id AND p.lease_owner = $2 AND p.lease_until IS NOT NULL AND p.again
            RETURNING p.id::text AS id, greatest(0, extract(epoch FROM p.not_before - now()) * 1000)::float8 AS delay_ms`,
          [rest, owner],
        )
      : [];
    for (const r of released) written.add(r.id);
    return { written, released: released.map((r) => ({ id: r.id, delayMs: Math.ceil(r.delay_ms) })) };
  },

  /** Requests nobody is working on: pending for longer than `leaseMs` past their time (a lost job), or leased by a worker that died. */
  async unattended(db: Sql, leaseMs: number, limit: number): Promise<string[]> {
    const rows = await select<{ id: string }>(
      db,
      // ORDER BY names the table's column: a bare `id` would be the output `id::text`, sorted as text.
      `SELECT p.id::text AS id FROM push_requests p
        WHERE p.status = 'pending'
          AND (p.lease_until < now() OR (p.lease_until IS NULL AND p.not_before < now() - make_interval(secs => $1::double precision / 1000)))
        ORDER BY p.id LIMIT $2`,
      [leaseMs, limit],
    );
    return rows.map((r) => r.id);
  },

  /** Deletes up to 10,000 failed requests older than `days` (history kept for the view). */
  async deleteHistory(db: Sql, days: number): Promise<void> {
    await db.query(
      `DELETE FROM push_requests WHERE id IN (
         SELECT id FROM push_requests WHERE status IN ('sent', 'failed', 'skipped')
            AND completed_at < now() - make_interval(days => $1::int) LIMIT 10000)`,
      [Math.ceil(days)],
    );
  },

  /** Unfinished requests, unleased (`pending`) and leased (`sending`), and how long the oldest due one has waited (seconds; 0 when none is due). */
  async queueDepth(db: Sql): Promise<{ pending: number; sending: number; oldestDueAgeSeconds: number }> {
    const r = await selectOne<{ pending: string; sending: string; age: number | null }>(
      db,
      `SELECT count(*) FILTER (WHERE lease_until IS NULL) AS pending, count(*) FILTER (WHERE lease_until IS NOT NULL) AS sending,
              extract(epoch FROM now() - min(not_before) FILTER (WHERE lease_until IS NULL AND not_before <= now()))::float8 AS age
         FROM push_requests WHERE status = 'pending'`,
    );
    return { pending: Number(r?.pending ?? 0), sending: Number(r?.sending ?? 0), oldestDueAgeSeconds: Math.max(0, r?.age ?? 0) };
  },
};
