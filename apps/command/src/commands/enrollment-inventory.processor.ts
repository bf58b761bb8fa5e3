import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';
import { DeviceEntity } from '@mdm/persistence';
import { DEFAULT_DEVICE_INFORMATION_QUERIES } from '@mdm/protocol';
import { CommandsService } from './commands.service';

/**
 * A device's first TokenUpdate: ask it what it is (OS, model, serial, supervision) and which
 * profiles it holds, so the server can decide what may be sent to it.
 */
@Injectable()
export class EnrollmentInventoryProcessor {
  private readonly logger = new Logger(EnrollmentInventoryProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: CommandsService,
  ) {}

  @OnJob('device.enrolled')
  async handle(data: JobData<'device.enrolled'>): Promise<void> {
    const device = await this.dataSource.getRepository(DeviceEntity).findOne({
      where: { id: data.deviceId },
      select: { id: true, enrolled: true, enrollmentId: true },
    });
    // Re-enrolled or checked out since: that enrollment's own first TokenUpdate takes care of it.
    if (!device?.enrolled || device.enrollmentId !== data.enrollmentId) return;
    // A retried job must not queue the inventory twice.
    const queued: Array<{ request_type: string }> = await this.dataSource.query(
      `SELECT DISTINCT c.request_type FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND c.request_type IN ('DeviceInformation', 'ProfileList')
          AND d.queued_at >= (SELECT authenticated_at FROM devices WHERE id = $1)`,
      [device.id],
    );
    const has = new Set(queued.map((r) => r.request_type));
    if (!has.has('DeviceInformation')) {
      await this.commands.create({
        udids: [data.udid],
        command: { RequestType: 'DeviceInformation', Queries: DEFAULT_DEVICE_INFORMATION_QUERIES },
        push: has.has('ProfileList'),
        raw: false,
      });
    }
    if (!has.has('ProfileList')) await this.commands.create({ udids: [data.udid], command: { RequestType: 'ProfileList' }, push: true, raw: false });
    this.logger.log(`queued the first inventory of ${data.udid}`);
  }
}
