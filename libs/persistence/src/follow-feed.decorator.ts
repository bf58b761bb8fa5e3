import { SetMetadata } from '@nestjs/common';
import type { EventType, FeedConsumer } from '@mdm/contracts';

export const FOLLOW_FEED = Symbol('FollowFeed');

export interface FollowFeedOptions {
  /** Exact event types or `prefix.*`; none means every event. */
  types?: readonly (EventType | `${string}.*`)[];
  /**
   * A method of the same provider, `(tx) => Promise<patterns | undefined>`, asked at every step in place of
   * `types`: for a consumer whose wants change at run time (an empty list reads nothing, the cursor still moves).
   */
  typesFrom?: string;
  /** Events read per transaction; the app's `EventFeedModule` limit when left out. */
  limit?: number;
  /** A method of the same provider, called after a pass that handled events committed (to act on what the handler planned). */
  afterCommit?: string;
}

export interface FollowFeedSpec extends FollowFeedOptions {
  consumer: FeedConsumer;
}

/**
 * Marks the handler of one feed consumer, as `@OnJob` marks a job's:
 * `@FollowFeed(FeedConsumer.Webhooks, { limit: 500 }) fanOut(tx: EntityManager, events: FeedEvent[])`.
 * The handler runs in the transaction that moves the consumer's cursor (see `EventFeedRunner`).
 */
export const FollowFeed = (consumer: FeedConsumer, options: FollowFeedOptions = {}): MethodDecorator =>
  SetMetadata<symbol, FollowFeedSpec>(FOLLOW_FEED, { consumer, ...options });
