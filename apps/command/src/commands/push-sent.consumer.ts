import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CommandStatus, type EventData, FeedConsumer } from '@mdm/contracts';
import { type FeedEvent, FollowFeed, preferIndexLookups } from '@mdm/persistence';

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
    await markSent(tx, events.map(sentPush));
  }
}

interface SentPush {
  deviceId: string;
  /** Commands queued up to this time are announced by the push. */
  at: string;
}

/** `queuedBefore` is optional in `push.sent`: without it, the event's own time is the bound. */
function sentPush(event: FeedEvent): SentPush {
  const data = event.data as EventData<'push.sent'>;
  return { deviceId: data.deviceId, at: data.queuedBefore ?? event.occurredAt.toISOString() };
}

/**
 * One UPDATE for a whole group of accepted pushes. Only QUEUED moves: a command the device already
 * fetched or answered must not go back. Index lookups per device even when statistics lag a bulk insert
 * (see preferIndexLookups).
 */
async function markSent(tx: EntityManager, pushes: readonly SentPush[]): Promise<void> {
  if (!pushes.length) return;
  await preferIndexLookups(tx);
  await tx.query(
    `UPDATE command_deliveries d SET status = $3, sent_at = x.at, updated_at = now()
       FROM unnest($1::uuid[], $2::timestamptz[]) AS x(device_id, at)
      WHERE d.device_id = x.device_id AND d.status = $4 AND d.queued_at <= x.at`,
    [pushes.map((p) => p.deviceId), pushes.map((p) => p.at), CommandStatus.Sent, CommandStatus.Queued],
  );
}
