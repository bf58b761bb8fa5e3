import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommandStatus, type JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';

/** APNs accepted a push: commands queued for that device before it are now SENT. */
@Injectable()
export class PushOutcomeProcessor {
  constructor(private readonly dataSource: DataSource) {}

  @OnJob('push.outcome')
  async handle(data: JobData<'push.outcome'>): Promise<void> {
    if (data.outcome !== 'sent') return;
    // Only QUEUED moves: a command the device already fetched (PUSH) or answered must not go back.
    await this.dataSource.query(
      `UPDATE command_deliveries SET status = $1, sent_at = $3, updated_at = now()
        WHERE device_id = $2 AND status = $4 AND queued_at <= $3`,
      [CommandStatus.Sent, data.deviceId, data.at, CommandStatus.Queued],
    );
  }
}
