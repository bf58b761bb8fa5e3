import type { WebhookDeliveryStatus } from '@mdm/contracts';
import { select, selectOne, type Sql } from '../sql';
import { WebhookDeliveryQueueStore } from './webhook-delivery-queue.store';

export interface StoredWebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  /** `events.id` of the event, as text (bigint). */
  eventSeq: string;
  eventType: string;
  udid: string | null;
  origin: 'feed' | 'replay';
  status: WebhookDeliveryStatus;
  /** A worker holds its lease right now (its request may be on the wire). */
  inFlight: boolean;
  attempts: number;
  nextAttemptAt: Date;
  retryUntil: Date;
  lastAttemptAt: Date | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  deadAt: Date | null;
  createdAt: Date;
}

export interface StoredAttempt {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'dead';
}

export interface DeliveryListFilter {
  statuses?: readonly WebhookDeliveryStatus[];
  eventTypes?: readonly string[];
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_seq: string;
  event_type: string;
  udid: string | null;
  origin: 'feed' | 'replay';
  status: WebhookDeliveryStatus;
  in_flight: boolean;
  attempts: number;
  next_attempt_at: Date;
  retry_until: Date;
  last_attempt_at: Date | null;
  last_http_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  dead_at: Date | null;
  created_at: Date;
}

function fromRow(r: DeliveryRow): StoredWebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    eventSeq: r.event_seq,
    eventType: r.event_type,
    udid: r.udid,
    origin: r.origin,
    status: r.status,
    inFlight: r.in_flight,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    retryUntil: r.retry_until,
    lastAttemptAt: r.last_attempt_at,
    lastHttpStatus: r.last_http_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    deadAt: r.dead_at,
    createdAt: r.created_at,
  };
}

const COLUMNS = `id, webhook_id, event_id, event_seq::text, event_type, udid, origin, status,
  (lease_until IS NOT NULL AND lease_until > now()) AS in_flight, attempts, next_attempt_at, retry_until,
  last_attempt_at, last_http_status, last_error, delivered_at, dead_at, created_at`;

/** Deliveries as the admin API reads and re-queues them (the workers' side is WebhookDeliveryQueueStore). */
export const WebhookDeliveriesStore = {
  /** A webhook's deliveries, by creation, filtered by status and event type. */
  async list(db: Sql, webhookId: string, f: DeliveryListFilter): Promise<{ deliveries: StoredWebhookDelivery[]; total: number }> {
    const where = ['webhook_id = $1'];
    const params: unknown[] = [webhookId];
    if (f.statuses) {
      params.push(f.statuses);
      where.push(`status = ANY($${params.length}::text[])`);
    }
    if (f.eventTypes) {
      params.push(f.eventTypes);
      where.push(`event_type = ANY($${params.length}::text[])`);
    }
    const filter = where.join(' AND ');
    const order = f.order === 'asc' ? 'ASC' : 'DESC';
    const [rows, count] = await Promise.all([
      select<DeliveryRow>(
        db,
        `SELECT ${COLUMNS} FROM webhook_deliveries WHERE ${filter}
          ORDER BY created_at ${order}, position ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, f.limit, f.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM webhook_deliveries WHERE ${filter}`, params),
    ]);
    return { deliveries: rows.map(fromRow), total: count?.n ?? 0 };
  },

  async byId(db: Sql, webhookId: string, deliveryId: string): Promise<StoredWebhookDelivery | undefined> {
    const row = await selectOne<DeliveryRow>(db, `SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`, [deliveryId, webhookId]);
    return row && fromRow(row);
  },

  async attempts(db: Sql, deliveryId: string): Promise<StoredAttempt[]> {
    const rows = await select<{ attempt: number; started_at: Date; duration_ms: number; http_status: number | null; error: string | null; outcome: StoredAttempt['outcome'] }>(
      db,
      `SELECT attempt, started_at, duration_ms, http_status, error, outcome FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id`,
      [deliveryId],
    );
    return rows.map((a) => ({ attempt: a.attempt, startedAt: a.started_at, durationMs: a.duration_ms, httpStatus: a.http_status, error: a.error, outcome: a.outcome }));
  },

  /**
   * Due again now with a fresh retry window, unless a worker holds it (then undefined). Wakes the workers
   * when the caller's transaction commits.
   */
  async requeue(tx: Sql, webhookId: string, deliveryId: string, retryWindowMs: number): Promise<StoredWebhookDelivery | undefined> {
    const row = await selectOne<DeliveryRow>(
      tx,
      `UPDATE webhook_deliveries
          SET status = 'pending', next_attempt_at = now(), retry_until = now() + $3::bigint * interval '1 millisecond',
              delivered_at = NULL, dead_at = NULL, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND webhook_id = $2 AND (lease_until IS NULL OR lease_until < now())
        RETURNING ${COLUMNS}`,
      [deliveryId, webhookId, retryWindowMs],
    );
    if (row) await WebhookDeliveryQueueStore.notify(tx);
    return row && fromRow(row);
  },

  /**
   * New `replay` deliveries for the events of `types` that happened in `[from, to)`, in feed order, at most
   * `limit`; answers how many. Wakes the workers when the caller's transaction commits.
   */
  async replay(tx: Sql, webhookId: string, r: { from: Date; to: Date; types: readonly string[]; retryWindowMs: number; limit: number }): Promise<number> {
    const row = await selectOne<{ n: number }>(
      tx,
      `WITH ins AS (
         INSERT INTO webhook_deliveries (webhook_id, event_id, event_seq, event_type, udid, origin, retry_until)
         SELECT $1, e.event_id, e.id, e.type, e.udid, 'replay', now() + $5::bigint * interval '1 millisecond'
           FROM events e
          WHERE e.occurred_at >= $2 AND e.occurred_at < $3 AND e.type = ANY($4::text[])
          ORDER BY e.txid, e.id
          LIMIT $6
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [webhookId, r.from, r.to, r.types, r.retryWindowMs, r.limit],
    );
    const n = row?.n ?? 0;
    if (n) await WebhookDeliveryQueueStore.notify(tx);
    return n;
  },

  /** Open (pending, retrying) and dead deliveries of every webhook, and the age of the oldest open one in seconds. */
  async depth(db: Sql): Promise<{ pending: number; retrying: number; dead: number; oldestOpenSeconds: number }> {
    const r = await selectOne<{ pending: string; retrying: string; dead: string; age: number | null }>(
      db,
      `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'retrying') AS retrying,
              count(*) FILTER (WHERE status = 'dead') AS dead,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'retrying')))::float8 AS age
         FROM webhook_deliveries WHERE status IN ('pending', 'retrying', 'dead')`,
    );
    return { pending: Number(r?.pending ?? 0), retrying: Number(r?.retrying ?? 0), dead: Number(r?.dead ?? 0), oldestOpenSeconds: r?.age ?? 0 };
  },
};
