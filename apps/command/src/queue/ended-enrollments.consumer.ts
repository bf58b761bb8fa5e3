import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FeedConsumer } from '@mdm/contracts';
import { CommandDeliveriesStore, type FeedEvent, FollowFeed } from '@mdm/persistence';

/** Why a delivery left the queue with its enrollment, per event. */
const REASON = {
  'device.authenticated': 'device re-enrolled (Authenticate)',
  'device.checked_out': 'device checked out',
} as const;

/**
 * An enrollment that ended (the device authenticated again, or checked out) takes its open commands with
 * it: they are kept as CANCELED history. Follows the event feed, which the enrollment service writes with
 * the check-in; until this ran, the connect channel already serves nothing queued before the latest
 * Authenticate, so a re-enrolled device never sees a command of its earlier enrollment.
 */
@Injectable()
export class EndedEnrollmentsConsumer {
  private readonly logger = new Logger(EndedEnrollmentsConsumer.name);

  /** Only what was queued before the event: a later enrollment's commands stay. */
  @FollowFeed(FeedConsumer.CommandDeviceLifecycle, { types: ['device.authenticated', 'device.checked_out'], limit: 500 })
  async cancel(tx: EntityManager, events: readonly FeedEvent[]): Promise<void> {
    for (const event of events) {
      // A first enrollment has no earlier queue.
      if (event.type === 'device.authenticated' && event.data['reenrollment'] !== true) continue;
      const reason = REASON[event.type as keyof typeof REASON];
      if (!event.udid || !reason) continue;
      const canceled = await CommandDeliveriesStore.cancelQueuedBefore(tx, event.udid, event.occurredAt, reason);
      if (canceled) this.logger.log(`${canceled} open command(s) of ${event.udid} canceled: ${reason}`);
    }
  }
}
