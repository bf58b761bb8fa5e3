import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type CreateWebhookRequest, EVENT_TYPES, type OffsetPage, type ReplayWebhookRequest, type UpdateWebhookRequest, type WebhookFormat, type WebhookListQuery, iso } from '@mdm/contracts';
import { eventMatcher, WebhookEntity, type WebhookDeliveryStatus } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../integrations.config';
import { NANOMDM_EVENT_TYPES } from '../delivery/nanomdm';
import { notifyDeliveries } from '../delivery/wakeup';
import { webhookReplays } from './event-patterns';
import type { DeliveryListQuery } from './webhook-queries';

/** A webhook as the API shows it: never the secret, only its last characters. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  enabled: boolean;
  secretHint: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventSeq: string;
  eventType: string;
  udid: string | null;
  origin: 'feed' | 'replay';
  status: WebhookDeliveryStatus;
  /** A worker holds it right now (its request may be on the wire). */
  inFlight: boolean;
  attempts: number;
  /** When the next attempt is due (open deliveries only). */
  nextAttemptAt: string | null;
  retryUntil: string;
  lastAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  createdAt: string;
}

export interface AttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'dead';
}

/** Replays insert at most this many deliveries per call; ask again from the last one's time for more. */
export const REPLAY_MAX = 100_000;

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

const DELIVERY_COLUMNS = `id, webhook_id, event_id, event_seq::text, event_type, udid, origin, status,
  (lease_until IS NOT NULL AND lease_until > now()) AS in_flight, attempts, next_attempt_at, retry_until,
  last_attempt_at, last_http_status, last_error, delivered_at, dead_at, created_at`;


function deliveryView(r: DeliveryRow): DeliveryView {
  const open = r.status === 'pending' || r.status === 'retrying';
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
    nextAttemptAt: open ? r.next_attempt_at.toISOString() : null,
    retryUntil: r.retry_until.toISOString(),
    lastAttemptAt: iso(r.last_attempt_at),
    lastHttpStatus: r.last_http_status,
    lastError: r.last_error,
    deliveredAt: iso(r.delivered_at),
    deadAt: iso(r.dead_at),
    createdAt: r.created_at.toISOString(),
  };
}

/** The catalog types a set of patterns selects (`command.*` → every command event). */
function typesSelected(patterns: readonly string[]): string[] {
  const matches = eventMatcher(patterns);
  return EVENT_TYPES.filter((t) => matches(t));
}

/** Webhook subscriptions and their deliveries: the admin API of this service. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    @Inject(INTEGRATIONS_CONFIG) private readonly config: IntegrationsConfig,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(WebhookEntity);
  }

  private view(w: WebhookEntity): WebhookView {
    return {
      id: w.id,
      url: w.url,
      events: w.events,
      format: w.format,
      enabled: w.enabled,
      secretHint: w.secretHint,
      createdAt: w.createdAt.toISOString(),
      updatedAt: w.updatedAt.toISOString(),
    };
  }

  /** A NanoMDM webhook can only carry check-ins and command results: refuse patterns that select none of them. */
  private checkFormat(format: WebhookFormat, events: readonly string[]): void {
    if (format !== 'nanomdm') return;
    if (!typesSelected(events).some((t) => NANOMDM_EVENT_TYPES.includes(t))) {
      throw new BadRequestException(
        `invalid body: events: the nanomdm format carries only ${NANOMDM_EVENT_TYPES.join(', ')}; ${events.join(', ')} selects none of them`,
      );
    }
  }

  private sealSecret(secret: string): Pick<WebhookEntity, 'secretSealed' | 'secretHint'> {
    return { secretSealed: this.secrets.seal(secret), secretHint: `…${secret.slice(-4)}` };
  }

  async create(req: CreateWebhookRequest): Promise<WebhookView> {
    this.checkFormat(req.format, req.events);
    const saved = await this.repo.save(
      this.repo.create({ url: req.url, events: [...new Set(req.events)], format: req.format, enabled: req.enabled, ...this.sealSecret(req.secret) }),
    );
    return this.view(await this.find(saved.id));
  }

  async list(q: WebhookListQuery): Promise<OffsetPage<'webhooks', WebhookView>> {
    const [rows, total] = await this.repo.findAndCount({
      where: q.enabled === undefined ? {} : { enabled: q.enabled },
      order: { [q.sort]: q.order === 'desc' ? 'DESC' : 'ASC', id: 'ASC' },
      skip: q.offset,
      take: q.limit,
    });
    return { webhooks: rows.map((w) => this.view(w)), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<WebhookView> {
    return this.view(await this.find(id));
  }

  async update(id: string, req: UpdateWebhookRequest): Promise<WebhookView> {
    const current = await this.find(id);
    const events = req.events ? [...new Set(req.events)] : current.events;
    const format = req.format ?? current.format;
    this.checkFormat(format, events);
    await this.repo.update(
      { id },
      {
        ...(req.url !== undefined ? { url: req.url } : {}),
        ...(req.secret !== undefined ? this.sealSecret(req.secret) : {}),
        ...(req.enabled !== undefined ? { enabled: req.enabled } : {}),
        events,
        format,
        updatedAt: new Date(),
      },
    );
    if (req.enabled) await notifyDeliveries(this.dataSource);
    return this.view(await this.find(id));
  }

  /** Deletes the webhook and its deliveries; one in flight finishes, and its outcome finds no row. */
  async remove(id: string): Promise<void> {
    const result = await this.repo.delete({ id });
    if (!result.affected) throw new NotFoundException(`no webhook ${id}`);
  }

  async deliveries(id: string, q: DeliveryListQuery): Promise<{ deliveries: DeliveryView[]; total: number; limit: number; offset: number }> {
    await this.find(id);
    const where = ['webhook_id = $1'];
    const params: unknown[] = [id];
    if (q.status) {
      params.push(q.status);
      where.push(`status = ANY($${params.length}::text[])`);
    }
    if (q.type) {
      params.push(typesSelected(q.type));
      where.push(`event_type = ANY($${params.length}::text[])`);
    }
    const filter = where.join(' AND ');
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    const [rows, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${filter}
          ORDER BY created_at ${order}, position ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, q.limit, q.offset],
      ) as Promise<DeliveryRow[]>,
      this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE ${filter}`, params) as Promise<Array<{ n: number }>>,
    ]);
    return { deliveries: rows.map(deliveryView), total: count[0]?.n ?? 0, limit: q.limit, offset: q.offset };
  }

  async delivery(id: string, deliveryId: string): Promise<DeliveryView & { attemptLog: AttemptView[] }> {
    const rows: DeliveryRow[] = await this.dataSource.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`, [
      deliveryId,
      id,
    ]);
    const row = rows[0];
    if (!row) throw new NotFoundException(`no delivery ${deliveryId} of webhook ${id}`);
    const attempts: Array<{ attempt: number; started_at: Date; duration_ms: number; http_status: number | null; error: string | null; outcome: AttemptView['outcome'] }> =
      await this.dataSource.query(
        `SELECT attempt, started_at, duration_ms, http_status, error, outcome FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id`,
        [deliveryId],
      );
    return {
      ...deliveryView(row),
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt,
        startedAt: a.started_at.toISOString(),
        durationMs: a.duration_ms,
        httpStatus: a.http_status,
        error: a.error,
        outcome: a.outcome,
      })),
    };
  }

  /**
   * Sends a delivery again now, whatever its status (a dead one, or a delivered one the receiver lost), with
   * a fresh retry window. It keeps its place in its device's order, so a device's later open deliveries wait
   * for it. One in flight right now is a 409.
   */
  async retry(id: string, deliveryId: string): Promise<DeliveryView> {
    const rows: DeliveryRow[] = await this.dataSource.transaction(async (tx) => {
      const updated: [DeliveryRow[], number] = await tx.query(
        `UPDATE webhook_deliveries
            SET status = 'pending', next_attempt_at = now(), retry_until = now() + $3::bigint * interval '1 millisecond',
                delivered_at = NULL, dead_at = NULL, lease_owner = NULL, lease_until = NULL
          WHERE id = $1 AND webhook_id = $2 AND (lease_until IS NULL OR lease_until < now())
          RETURNING ${DELIVERY_COLUMNS}`,
        [deliveryId, id, this.config.WEBHOOK_RETRY_WINDOW],
      );
      if (updated[0].length) await notifyDeliveries(tx);
      return updated[0];
    });
    const row = rows[0];
    if (row) return deliveryView(row);
    const exists: unknown[] = await this.dataSource.query(`SELECT 1 FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`, [deliveryId, id]);
    if (!exists.length) throw new NotFoundException(`no delivery ${deliveryId} of webhook ${id}`);
    throw new ConflictException(`delivery ${deliveryId} is being sent right now; ask again when its attempt is over`);
  }

  /**
   * New deliveries (origin `replay`) for the webhook's events that happened in `[from, to)`, in feed order,
   * restricted to `types` when given. They queue behind the device's open deliveries like new events.
   */
  async replay(id: string, req: ReplayWebhookRequest): Promise<{ queued: number; truncated: boolean }> {
    const hook = await this.find(id);
    const types = EVENT_TYPES.filter((t) => webhookReplays(hook, t, req.types));
    if (!types.length) return { queued: 0, truncated: false };
    const queued = await this.dataSource.transaction(async (tx) => {
      const rows: Array<{ n: number }> = await tx.query(
        `WITH ins AS (
           INSERT INTO webhook_deliveries (webhook_id, event_id, event_seq, event_type, udid, origin, retry_until)
           SELECT $1, e.event_id, e.id, e.type, e.udid, 'replay', now() + $5::bigint * interval '1 millisecond'
             FROM events e
            WHERE e.occurred_at >= $2 AND e.occurred_at < $3 AND e.type = ANY($4::text[])
            ORDER BY e.txid, e.id
            LIMIT $6
           RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [id, new Date(req.from), new Date(req.to), types, this.config.WEBHOOK_RETRY_WINDOW, REPLAY_MAX],
      );
      const n = rows[0]?.n ?? 0;
      if (n) await notifyDeliveries(tx);
      return n;
    });
    return { queued, truncated: queued === REPLAY_MAX };
  }

  private async find(id: string): Promise<WebhookEntity> {
    const hook = await this.repo.findOne({ where: { id } });
    if (!hook) throw new NotFoundException(`no webhook ${id}`);
    return hook;
  }
}
