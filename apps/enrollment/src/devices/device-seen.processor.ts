import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';
import { DeviceActivityStore } from '@mdm/persistence';

/**
 * Devices the command channel saw: it batches them (one job per interval, not one write per connect) and
 * this service, the owner of `devices`, writes their `last_seen_at`.
 */
@Injectable()
export class DeviceSeenProcessor {
  constructor(private readonly dataSource: DataSource) {}

  @OnJob('device.seen')
  async handle(data: JobData<'device.seen'>): Promise<void> {
    const seenAt = data.seenAt.map((at) => new Date(at));
    await this.dataSource.transaction((tx) => DeviceActivityStore.markSeen(tx, data.deviceIds, seenAt));
  }
}
