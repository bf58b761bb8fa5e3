import type { WebhookFormat } from '@mdm/contracts';
import { select, type Sql } from '../sql';

/**
 * The Postgres channel that says "deliveries are due". NOTIFY is transactional: a listener hears it only
 * when the transaction that created the deliveries commits, so a wake-up is never early. It is only a hint;
 * the workers' poll finds every due delivery without it.
 */
export const DELIVERIES_CHANNEL = 'webhook_deliveries';

/** One delivery to create: an event for a webhook. */
export interface NewDelivery {
  webhookId: string;
  eventId: string;
  /** `events.id` of the event. */
  eventSeq: string;
  eventType: string;
  udid: string | null;
}

/** A delivery a worker holds the lease of, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  attempts: number;
  retryUntil: Date;
  url: string;
  secretSealed: string;
  format: WebhookFormat;
  /** Null when the event row is gone. */
  data: Record<string, unknown> | null;
  udid: string | null;
  occurredAt: Date | null;
}

/** How an attempt ended and what comes next; `nextAttemptAt` only for a retry. */
export interface DeliveryOutcome {
  status: 'delivered' | 'retrying' | 'dead';
  outcome: 'delivered' | 'retry' | 'dead';
  nextAttemptAt: Date | null;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
}

/**
 * `webhook_deliveries` as a queue (the integrations service owns it): the fan-out inserts, workers claim
 * with leases under SKIP LOCKED and write each outcome only while their lease holds. For one webhook, only a
 * device's oldest open delivery is claimable, so its events arrive in order.
 */
export const WebhookDeliveryQueueStore = {
  /** Wakes the delivery workers once the caller's transaction commits. */
  async notify(tx: Sql): Promise<void> {
    await tx.query(`SELECT pg_notify($1, '')`, [DELIVERIES_CHANNEL]);
  },

  /** Subscribes a dedicated connection (not a pooled one) to the wake-ups. */
  async listen(connection: { query(text: string): Promise<unknown> }): Promise<void> {
    await connection.query(`LISTEN ${DELIVERIES_CHANNEL}`);
  },

  /** Inserts in the given order (their `position` is a device's sending order); a feed event already fanned out is skipped. Answers how many were new. */
  async fanOut(tx: Sql, deliveries: readonly NewDelivery[], retryWindowMs: number): Promise<number> {
    if (!deliveries.length) return 0;
    const inserted = await select(
      tx,
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_seq, event_type, udid, retry_until)
       SELECT x.webhook_id, x.event_id, x.seq, x.type, x.udid, now() + $6::bigint * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS x(webhook_id, event_id, seq, type, udid, n)
        ORDER BY x.n
       ON CONFLICT (webhook_id, event_id) WHERE origin = 'feed' DO NOTHING
       RETURNING id`,
      [
        deliveries.map((d) => d.webhookId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.eventSeq),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.udid),
        retryWindowMs,
      ],
    );
    return inserted.length;
  },

  /** Leases up to `limit` due deliveries of enabled webhooks to `owner` for `leaseMs`, soonest due first. */
  async claim(db: Sql, owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = await select<{
      id: string;
      event_id: string;
      event_type: string;
      attempts: number;
      retry_until: Date;
      url: string;
      secret_sealed: string;
      format: WebhookFormat;
      data: Record<string, unknown> | null;
      udid: string | null;
      occurred_at: Date | null;
    }>(
      db,
      `WITH picked AS (
         SELECT d.id FROM webhook_deliveries d
           JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
          WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now()
            AND (d.lease_until IS NULL OR d.lease_until < now())
            AND (d.udid IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                   WHERE p.webhook_id = d.webhook_id AND p.udid = d.udid
                     AND p.status IN ('pending', 'retrying') AND p.position < d.position))
          ORDER BY d.next_attempt_at, d.position
          LIMIT $2
          FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET lease_owner = $1, lease_until = now() + $3::bigint * interval '1 millisecond'
           FROM picked WHERE d.id = picked.id
         RETURNING d.id, d.webhook_id, d.event_id, d.event_seq, d.event_type, d.attempts, d.retry_until
       )
       SELECT c.id, c.event_id, c.event_type, c.attempts, c.retry_until, w.url, w.secret_sealed, w.format,
              e.data, e.udid, e.occurred_at
         FROM claimed c
         JOIN webhooks w ON w.id = c.webhook_id
         LEFT JOIN events e ON e.id = c.event_seq`,
      [owner, limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.event_type,
      attempts: r.attempts,
      retryUntil: r.retry_until,
      url: r.url,
      secretSealed: r.secret_sealed,
      format: r.format,
      data: r.data,
      udid: r.udid,
      occurredAt: r.occurred_at,
    }));
  },

  /**
   * The outcome and the attempt, in one statement that applies only while `owner` still holds the lease;
   * false when it no longer does. The device's later deliveries are made due when this one is (retry) or
   * now (over): while a receiver is down, the claim does not walk every blocked delivery behind each device.
   */
  async record(db: Sql, deliveryId: string, owner: string, o: DeliveryOutcome): Promise<boolean> {
    const rows = await select(
      db,
      `WITH u AS (
         UPDATE webhook_deliveries
            SET status = $3, attempts = attempts + 1,
                next_attempt_at = COALESCE($4::timestamptz, next_attempt_at),
                last_attempt_at = $5, last_http_status = $6, last_error = $7,
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                dead_at = CASE WHEN $3 = 'dead' THEN now() ELSE NULL END,
                lease_owner = NULL, lease_until = NULL
          WHERE id = $1 AND lease_owner = $2
         RETURNING id, attempts, webhook_id, udid, position
       ), followers AS (
         UPDATE webhook_deliveries f SET next_attempt_at = COALESCE($4::timestamptz, now())
           FROM u
          WHERE u.udid IS NOT NULL AND f.webhook_id = u.webhook_id AND f.udid = u.udid
            AND f.status = 'pending' AND f.position > u.position
            AND f.next_attempt_at IS DISTINCT FROM COALESCE($4::timestamptz, now())
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, http_status, error, outcome)
       SELECT id, attempts, $5, $8, $6, $7, $9 FROM u
       RETURNING attempt`,
      [deliveryId, owner, o.status, o.nextAttemptAt, o.startedAt, o.httpStatus, o.error, o.durationMs, o.outcome],
    );
    return rows.length > 0;
  },

  /** Deletes up to 5,000 deliveries that are over (delivered or dead) and older than `days`, their attempts with them. */
  async sweepHistory(db: Sql, days: number): Promise<void> {
    await db.query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries
          WHERE status IN ('delivered', 'dead') AND created_at < now() - $1::int * interval '1 day'
          LIMIT 5000)`,
      [days],
    );
  },
};
