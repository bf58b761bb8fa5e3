import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommandStatus, type JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';
import { preferIndexLookups } from '@mdm/persistence';

/** APNs accepted a push: commands queued for that device before it are now SENT. */
@Injectable()
export class PushOutcomeProcessor {
  constructor(private readonly dataSource: DataSource) {}

  /** One UPDATE for a whole group of accepted pushes. */
  @OnJob('push.accepted')
  async accepted(data: JobData<'push.accepted'>): Promise<void> {
    // Only QUEUED moves: a command the device already fetched (PUSH) or answered must not go back.
    // Index lookups per device even when statistics lag a bulk insert (see preferIndexLookups).
    await this.dataSource.transaction(async (tx) => {
      await preferIndexLookups(tx);
      await tx.query(
        `UPDATE command_deliveries SET status = $1, sent_at = $3, updated_at = now()
          WHERE device_id = ANY($2::uuid[]) AND status = $4 AND queued_at <= $3`,
        [CommandStatus.Sent, data.deviceIds, data.at, CommandStatus.Queued],
      );
    });
  }

  /** One device per job, from push workers older than push.accepted; kept until none can be in flight. */
  @OnJob('push.outcome')
  async handle(data: JobData<'push.outcome'>): Promise<void> {
    if (data.outcome !== 'sent') return;
    await this.accepted({ deviceIds: [data.deviceId], at: data.at });
  }
}
