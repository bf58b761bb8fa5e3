import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EVERY_EVENT, FeedConsumer } from '@mdm/contracts';
import { eventMatcher, type FeedEvent, FollowFeed, type NewDelivery, WebhookDeliveryQueueStore, WebhooksStore } from '@mdm/persistence';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../integrations.config';
import { IntegrationsMetrics } from '../metrics/integrations-metrics.service';
import { webhookWants } from '../webhooks/event-patterns';

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

  /** The types some enabled webhook wants: the feed reads only those (none while no webhook is enabled). */
  async wantedTypes(tx: EntityManager): Promise<string[] | undefined> {
    const rows = await WebhooksStore.enabled(tx);
    return rows.some((r) => r.events.includes(EVERY_EVENT)) ? undefined : [...new Set(rows.flatMap((r) => r.events))];
  }

  @FollowFeed(FeedConsumer.Webhooks, { typesFrom: 'wantedTypes' })
  async fanOut(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    const rows = await WebhooksStore.enabled(tx);
    if (!rows.length) return;
    const hooks = rows.map((r) => ({ ...r, matches: eventMatcher(r.events) }));
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      for (const hook of hooks) {
        if (!webhookWants(hook, event, hook.matches)) continue;
        deliveries.push({ webhookId: hook.id, eventId: event.eventId, eventSeq: event.seq, eventType: event.type, udid: event.udid });
      }
    }
    const inserted = await WebhookDeliveryQueueStore.fanOut(tx, deliveries, this.config.WEBHOOK_RETRY_WINDOW);
    if (inserted) {
      await WebhookDeliveryQueueStore.notify(tx);
      this.metrics.created(inserted);
    }
  }
}
