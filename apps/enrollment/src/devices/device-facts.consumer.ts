import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type EventData, FeedConsumer } from '@mdm/contracts';
import { DeviceActivityStore, type FeedEvent, FollowFeed } from '@mdm/persistence';

/**
 * The facts of DeviceInformation answers (serial number, model, OS, supervision...) onto the device's own
 * columns. The command service records them as `device.inventory_updated` with the answer; following the
 * feed, this service (the owner of `devices`) applies each exactly once, in order.
 */
@Injectable()
export class DeviceFactsConsumer {
  @FollowFeed(FeedConsumer.EnrollmentDevices, { types: ['device.inventory_updated'], limit: 500 })
  async apply(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    for (const e of events) {
      const data = e.data as EventData<'device.inventory_updated'>;
      await DeviceActivityStore.applyFacts(tx, data.deviceId, data);
    }
  }
}
