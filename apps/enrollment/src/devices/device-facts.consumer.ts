import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type EventData, FeedConsumer } from '@mdm/contracts';
import { DeviceActivityStore, EventFeedRunner } from '@mdm/persistence';
import { ENROLLMENT_CONFIG, type EnrollmentConfig } from '../enrollment.config';

/**
 * The facts of DeviceInformation answers (serial number, model, OS, supervision...) onto the device's own
 * columns. The command service records them as `device.inventory_updated` with the answer; following the
 * feed, this service (the owner of `devices`) applies each exactly once, in order.
 */
@Injectable()
export class DeviceFactsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceFactsConsumer.name);
  private readonly runner: EventFeedRunner;

  constructor(dataSource: DataSource, @Inject(ENROLLMENT_CONFIG) config: EnrollmentConfig) {
    this.runner = new EventFeedRunner(
      dataSource,
      FeedConsumer.EnrollmentDevices,
      { types: ['device.inventory_updated'], limit: 500, intervalMs: config.ENROLLMENT_FEED_INTERVAL_MS },
      async (tx, events) => {
        for (const e of events) {
          const data = e.data as EventData<'device.inventory_updated'>;
          await DeviceActivityStore.applyFacts(tx, data.deviceId, data);
        }
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
