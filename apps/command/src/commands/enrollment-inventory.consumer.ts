import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type EventData, FeedConsumer } from '@mdm/contracts';
import { type FeedEvent, FirstInventoryStore, FollowFeed } from '@mdm/persistence';
import { InventoryRefreshService } from '../inventory/inventory-refresh.service';
import { CommandsService } from './commands.service';

/**
 * A device's first TokenUpdate: ask it for its full inventory (every DeviceInformation query, SecurityInfo,
 * CertificateList) and which profiles it holds, so the server can decide what may be sent to it. Follows
 * `device.enrolled` in the event feed, which enrollment writes in the TokenUpdate's own transaction: an
 * enrollment that committed always gets its inventory, whatever restarts or Redis does in between.
 * Paused (see command.module.ts) when MDM_ENROLL_INVENTORY is off.
 */
@Injectable()
export class EnrollmentInventoryConsumer {
  private readonly logger = new Logger(EnrollmentInventoryConsumer.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: CommandsService,
    private readonly refresh: InventoryRefreshService,
  ) {}

  @FollowFeed(FeedConsumer.CommandInventory, { types: ['device.enrolled'], limit: 100 })
  async onEnrolled(_tx: EntityManager, events: FeedEvent[]): Promise<void> {
    for (const e of events) await this.inventory(e.data as EventData<'device.enrolled'>);
  }

  /**
   * Queues what is not queued yet for this enrollment. The commands commit in their own transaction, so
   * a crash before the feed's cursor moves replays the event: the check below makes that harmless.
   */
  private async inventory(data: EventData<'device.enrolled'>): Promise<void> {
    const device = await FirstInventoryStore.device(this.dataSource, data.udid);
    // Re-enrolled or checked out since: that enrollment's own first TokenUpdate takes care of it.
    if (!device?.enrolled || device.enrollmentId !== data.enrollmentId) return;
    const has = await FirstInventoryStore.queuedInventoryRequests(this.dataSource, device.id);
    if (!has.has('DeviceInformation')) await this.refresh.refreshDevices([{ id: device.id, udid: data.udid }], 'enrollment');
    if (!has.has('ProfileList')) await this.commands.create({ udids: [data.udid], command: { RequestType: 'ProfileList' }, push: true, raw: false });
    this.logger.log(`queued the first inventory of ${data.udid}`);
  }
}
