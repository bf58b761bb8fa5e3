import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CommandStatus, type EventData, type JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';
import { EventFeedRunner, type FeedEvent, preferIndexLookups } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';

/** The event-feed consumer that turns accepted pushes into SENT deliveries. */
export const PUSH_SENT_CONSUMER = 'command-push-sent';

/**
 * APNs accepted a push: the commands queued for that device before the push was taken become SENT.
 * Follows `push.sent` in the event feed, which the push worker writes in the transaction that records the
 * outcome, so the status follows every accepted push whatever restarts or Redis do in between, and
 * moves in the same transaction as the feed's cursor.
 */
@Injectable()
export class PushOutcomeProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PushOutcomeProcessor.name);
  private readonly runner: EventFeedRunner;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(COMMAND_CONFIG) config: CommandConfig,
  ) {
    this.runner = new EventFeedRunner(
      dataSource,
      PUSH_SENT_CONSUMER,
      { types: ['push.sent'], limit: 1000, intervalMs: config.COMMAND_FEED_INTERVAL_MS },
      (tx, events) => markSent(tx, events.map(sentPush)),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** Jobs from push workers older than the `push.sent` feed; kept until none can be waiting. */
  @OnJob('push.accepted')
  async accepted(data: JobData<'push.accepted'>): Promise<void> {
    await this.dataSource.transaction((tx) => markSent(tx, data.deviceIds.map((deviceId) => ({ deviceId, at: data.at }))));
  }

  /** One device per job, from push workers older than push.accepted; kept until none can be in flight. */
  @OnJob('push.outcome')
  async handle(data: JobData<'push.outcome'>): Promise<void> {
    if (data.outcome !== 'sent') return;
    await this.accepted({ deviceIds: [data.deviceId], at: data.at });
  }
}

interface SentPush {
  deviceId: string;
  /** Commands queued up to this time are announced by the push. */
  at: string;
}

/** An event written before `queuedBefore` existed counts from when it happened. */
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
