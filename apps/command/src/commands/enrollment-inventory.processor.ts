import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventData, JobData } from '@mdm/contracts';
import { OnJob } from '@mdm/messaging';
import { EventFeedRunner } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { InventoryRefreshService } from '../inventory/inventory-refresh.service';
import { CommandsService } from './commands.service';

/**
 * A device's first TokenUpdate: ask it for its full inventory (every DeviceInformation query, SecurityInfo,
 * CertificateList) and which profiles it holds, so the server can decide what may be sent to it. Follows
 * `device.enrolled` in the event feed, which enrollment writes in the TokenUpdate's own transaction: an
 * enrollment that committed always gets its inventory, whatever restarts or Redis does in between.
 */
@Injectable()
export class EnrollmentInventoryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EnrollmentInventoryProcessor.name);
  private readonly runner: EventFeedRunner | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: CommandsService,
    private readonly refresh: InventoryRefreshService,
    @Inject(COMMAND_CONFIG) config: CommandConfig,
  ) {
    if (!config.MDM_ENROLL_INVENTORY) return;
    this.runner = new EventFeedRunner(
      dataSource,
      'command-inventory',
      { types: ['device.enrolled'], limit: 100, intervalMs: config.COMMAND_FEED_INTERVAL_MS },
      async (_tx, events) => {
        for (const e of events) await this.inventory(e.data as EventData<'device.enrolled'>);
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.runner?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }

  /** Jobs queued by enrollment services older than the event feed; kept until none can be waiting. */
  @OnJob('device.enrolled')
  async handle(data: JobData<'device.enrolled'>): Promise<void> {
    await this.inventory({ udid: data.udid, enrollmentId: data.enrollmentId });
  }

  /**
   * Queues what is not queued yet for this enrollment. The commands commit in their own transaction, so
   * a crash before the feed's cursor moves replays the event: the check below makes that harmless.
   */
  private async inventory(data: Pick<EventData<'device.enrolled'>, 'udid' | 'enrollmentId'>): Promise<void> {
    const rows: Array<{ id: string; enrolled: boolean; enrollment_id: string }> = await this.dataSource.query(
      `SELECT id, enrolled, enrollment_id FROM devices WHERE udid = $1`,
      [data.udid],
    );
    const device = rows[0];
    // Re-enrolled or checked out since: that enrollment's own first TokenUpdate takes care of it.
    if (!device?.enrolled || device.enrollment_id !== data.enrollmentId) return;
    const queued: Array<{ request_type: string }> = await this.dataSource.query(
      `SELECT DISTINCT c.request_type FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND c.request_type IN ('DeviceInformation', 'ProfileList')
          AND d.queued_at >= (SELECT authenticated_at FROM devices WHERE id = $1)`,
      [device.id],
    );
    const has = new Set(queued.map((r) => r.request_type));
    if (!has.has('DeviceInformation')) await this.refresh.refreshDevices([{ id: device.id, udid: data.udid }], 'enrollment');
    if (!has.has('ProfileList')) await this.commands.create({ udids: [data.udid], command: { RequestType: 'ProfileList' }, push: true, raw: false });
    this.logger.log(`queued the first inventory of ${data.udid}`);
  }
}
