import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type EventData, FeedConsumer } from '@mdm/contracts';
import { type AcceptedPushes, type FeedEvent, FollowFeed, SentCommandsStore } from '@mdm/persistence';

/**
 * APNs accepted pushes: the commands queued for those devices before the pushes were taken become SENT.
 * Follows `push.sent.v2` (one event per group of pushes) in the event feed, which the push worker writes in
 * the transaction that records the outcomes, so the status follows every accepted push whatever restarts or
 * Redis do in between, and moves in the same transaction as the feed's cursor. `push.sent` (one device per
 * event) is read too: events written before `push.sent.v2` may still be ahead of the cursor.
 */
@Injectable()
export class PushSentConsumer {
  @FollowFeed(FeedConsumer.CommandPushSent, { types: ['push.sent.v2', 'push.sent'], limit: 1000 })
  async onPushSent(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    await SentCommandsStore.markSent(tx, events.map(acceptedPushes));
  }
}

function acceptedPushes(event: FeedEvent): AcceptedPushes {
  if (event.type === 'push.sent.v2') {
    const data = event.data as EventData<'push.sent.v2'>;
    return { deviceIds: data.devices.map((d) => d.deviceId), at: data.queuedBefore };
  }
  // `queuedBefore` is optional in `push.sent`: without it, the event's own time is the bound.
  const data = event.data as EventData<'push.sent'>;
  return { deviceIds: [data.deviceId], at: data.queuedBefore ?? event.occurredAt.toISOString() };
}
