import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FeedConsumer, type WebhookFormat } from '@mdm/contracts';
import { eventMatcher, type FeedEvent, FollowFeed } from '@mdm/persistence';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../integrations.config';
import { IntegrationsMetrics } from '../metrics/integrations-metrics.service';
import { webhookWants } from '../webhooks/event-patterns';
import { notifyDeliveries } from './wakeup';

/**
 * Turns events into deliveries: follows the event feed (`@FollowFeed`, one cursor for every replica) and,
 * in the transaction that moves the cursor, inserts one `webhook_deliveries` row per event and matching enabled
 * webhook, in feed order (their `position` is the per-device sending order). A crash before the commit leaves
 * the cursor and inserts nothing; the next step does it again.
 */
@Injectable()
export class WebhookFanOut {
  constructor(
    @Inject(INTEGRATIONS_CONFIG) private readonly config: IntegrationsConfig,
    private readonly metrics: IntegrationsMetrics,
  ) {}

  @FollowFeed(FeedConsumer.Webhooks)
  async fanOut(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    const rows: Array<{ id: string; events: string[]; format: WebhookFormat; created_at: Date }> = await tx.query(
      `SELECT id, events, format, created_at FROM webhooks WHERE enabled`,
    );
    if (!rows.length) return;
    const hooks = rows.map((r) => ({ id: r.id, events: r.events, format: r.format, createdAt: r.created_at, matches: eventMatcher(r.events) }));
    const webhookIds: string[] = [];
    const eventIds: string[] = [];
    const seqs: string[] = [];
    const types: string[] = [];
    const udids: Array<string | null> = [];
    for (const event of events) {
      for (const hook of hooks) {
        if (!webhookWants(hook, event, hook.matches)) continue;
        webhookIds.push(hook.id);
        eventIds.push(event.eventId);
        seqs.push(event.seq);
        types.push(event.type);
        udids.push(event.udid);
      }
    }
    if (!webhookIds.length) return;
    const inserted: unknown[] = await tx.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_seq, event_type, udid, retry_until)
       SELECT x.webhook_id, x.event_id, x.seq, x.type, x.udid, now() + $6::bigint * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS x(webhook_id, event_id, seq, type, udid, n)
        ORDER BY x.n
       ON CONFLICT (webhook_id, event_id) WHERE origin = 'feed' DO NOTHING
       RETURNING id`,
      [webhookIds, eventIds, seqs, types, udids, this.config.WEBHOOK_RETRY_WINDOW],
    );
    if (inserted.length) {
      await notifyDeliveries(tx);
      this.metrics.created(inserted.length);
    }
  }
}
