import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { FeedConsumer } from '@mdm/contracts';
import { CommandDeliveriesStore, EventFeedRunner, type FeedEvent } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';

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
export class EndedEnrollmentsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EndedEnrollmentsConsumer.name);
  private readonly runner: EventFeedRunner;

  constructor(dataSource: DataSource, @Inject(COMMAND_CONFIG) config: CommandConfig) {
    this.runner = new EventFeedRunner(
      dataSource,
      FeedConsumer.CommandDeviceLifecycle,
      { types: Object.keys(REASON), limit: 500, intervalMs: config.COMMAND_FEED_INTERVAL_MS },
      (tx, events) => this.cancel(tx, events),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** Only what was queued before the event: a later enrollment's commands stay. */
  private async cancel(tx: EntityManager, events: readonly FeedEvent[]): Promise<void> {
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
