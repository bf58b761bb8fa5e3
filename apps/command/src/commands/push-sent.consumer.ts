import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type EventData, FeedConsumer } from '@mdm/contracts';
import { type AcceptedPush, type FeedEvent, FollowFeed, SentCommandsStore } from '@mdm/persistence';

/**
 * APNs accepted a push: the commands queued for that device before the push was taken become SENT.
 * Follows `push.sent` in the event feed, which the push worker writes in the transaction that records the
 * outcome, so the status follows every accepted push whatever restarts or Redis do in between, and
 * moves in the same transaction as the feed's cursor.
 */
@Injectable()
export class PushSentConsumer {
  @FollowFeed(FeedConsumer.CommandPushSent, { types: ['push.sent'], limit: 1000 })
  async onPushSent(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    await SentCommandsStore.markSent(tx, events.map(acceptedPush));
  }
}

/** `queuedBefore` is optional in `push.sent`: without it, the event's own time is the bound. */
function acceptedPush(event: FeedEvent): AcceptedPush {
  const data = event.data as EventData<'push.sent'>;
  return { deviceId: data.deviceId, at: data.queuedBefore ?? event.occurredAt.toISOString() };
}
