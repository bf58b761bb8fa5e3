import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type CreateWebhookRequest, EVENT_TYPES, iso, type OffsetPage, type ReplayWebhookRequest, type UpdateWebhookRequest, type WebhookAttemptView, type WebhookDeliveryView, type WebhookFormat, type WebhookListQuery, type WebhookView } from '@mdm/contracts';
import {
  eventMatcher,
  type StoredAttempt,
  type StoredWebhookDelivery,
  type StoredWebhook,
  WebhookDeliveriesStore,
  WebhookDeliveryQueueStore,
  WebhooksStore,
} from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../integrations.config';
import { NANOMDM_EVENT_TYPES } from '../delivery/nanomdm';
import { webhookReplays } from './event-patterns';
import type { DeliveryListQuery } from './webhook-queries';

/** Replays insert at most this many deliveries per call; ask again from the last one's time for more. */
export const REPLAY_MAX = 100_000;

function deliveryView(r: StoredWebhookDelivery): WebhookDeliveryView {
  const open = r.status === 'pending' || r.status === 'retrying';
  return {
    id: r.id,
    webhookId: r.webhookId,
    eventId: r.eventId,
    eventSeq: r.eventSeq,
    eventType: r.eventType,
    udid: r.udid,
    origin: r.origin,
    status: r.status,
    inFlight: r.inFlight,
    attempts: r.attempts,
    nextAttemptAt: open ? r.nextAttemptAt.toISOString() : null,
    retryUntil: r.retryUntil.toISOString(),
    lastAttemptAt: iso(r.lastAttemptAt),
    lastHttpStatus: r.lastHttpStatus,
    lastError: r.lastError,
    deliveredAt: iso(r.deliveredAt),
    deadAt: iso(r.deadAt),
    createdAt: r.createdAt.toISOString(),
  };
}

function attemptView(a: StoredAttempt): WebhookAttemptView {
  return { ...a, startedAt: a.startedAt.toISOString() };
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

  private view(w: StoredWebhook): WebhookView {
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

  private sealSecret(secret: string): Pick<StoredWebhook, 'secretSealed' | 'secretHint'> {
    return { secretSealed: this.secrets.seal(secret), secretHint: `…${secret.slice(-4)}` };
  }

  async create(req: CreateWebhookRequest): Promise<WebhookView> {
    this.checkFormat(req.format, req.events);
    const saved = await WebhooksStore.create(this.dataSource, { url: req.url, events: [...new Set(req.events)], format: req.format, enabled: req.enabled, ...this.sealSecret(req.secret) });
    return this.view(await this.find(saved.id));
  }

  async list(q: WebhookListQuery): Promise<OffsetPage<'webhooks', WebhookView>> {
    const { webhooks: rows, total } = await WebhooksStore.list(this.dataSource, q);
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
    await WebhooksStore.update(this.dataSource, id, {
      url: req.url,
      ...(req.secret !== undefined ? this.sealSecret(req.secret) : {}),
      enabled: req.enabled,
      events,
      format,
    });
    if (req.enabled) await WebhookDeliveryQueueStore.notify(this.dataSource);
    return this.view(await this.find(id));
  }

  /** Deletes the webhook and its deliveries; one in flight finishes, and its outcome finds no row. */
  async remove(id: string): Promise<void> {
    if (!(await WebhooksStore.delete(this.dataSource, id))) throw new NotFoundException(`no webhook ${id}`);
  }

  async deliveries(id: string, q: DeliveryListQuery): Promise<{ deliveries: WebhookDeliveryView[]; total: number; limit: number; offset: number }> {
    await this.find(id);
    const { deliveries, total } = await WebhookDeliveriesStore.list(this.dataSource, id, {
      statuses: q.status,
      eventTypes: q.type && typesSelected(q.type),
      order: q.order,
      limit: q.limit,
      offset: q.offset,
    });
    return { deliveries: deliveries.map(deliveryView), total, limit: q.limit, offset: q.offset };
  }

  async delivery(id: string, deliveryId: string): Promise<WebhookDeliveryView & { attemptLog: WebhookAttemptView[] }> {
    const row = await WebhookDeliveriesStore.byId(this.dataSource, id, deliveryId);
    if (!row) throw new NotFoundException(`no delivery ${deliveryId} of webhook ${id}`);
    const attempts = await WebhookDeliveriesStore.attempts(this.dataSource, deliveryId);
    return { ...deliveryView(row), attemptLog: attempts.map(attemptView) };
  }

  /**
   * Sends a delivery again now, whatever its status (a dead one, or a delivered one the receiver lost), with
   * a fresh retry window. It keeps its place in its device's order, so a device's later open deliveries wait
   * for it. One in flight right now is a 409.
   */
  async retry(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const row = await this.dataSource.transaction((tx) => WebhookDeliveriesStore.requeue(tx, id, deliveryId, this.config.WEBHOOK_RETRY_WINDOW));
    if (row) return deliveryView(row);
    if (!(await WebhookDeliveriesStore.byId(this.dataSource, id, deliveryId))) throw new NotFoundException(`no delivery ${deliveryId} of webhook ${id}`);
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
    const queued = await this.dataSource.transaction((tx) =>
      WebhookDeliveriesStore.replay(tx, id, { from: new Date(req.from), to: new Date(req.to), types, retryWindowMs: this.config.WEBHOOK_RETRY_WINDOW, limit: REPLAY_MAX }),
    );
    return { queued, truncated: queued === REPLAY_MAX };
  }

  private async find(id: string): Promise<StoredWebhook> {
    const hook = await WebhooksStore.byId(this.dataSource, id);
    if (!hook) throw new NotFoundException(`no webhook ${id}`);
    return hook;
  }
}
