import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { InventoryRefreshView } from '@mdm/contracts';
import { InventoryStore } from '@mdm/persistence';
import { IOS_DEVICE_INFORMATION_QUERIES } from '@mdm/protocol';
import { CommandsService } from '../commands/commands.service';
import { PushRequestsService } from '../push/push-requests.service';

export type RefreshSource = 'api' | 'schedule' | 'enrollment';

/** The commands of a full inventory, in the order the device is asked. */
const INVENTORY_COMMANDS = [
  { RequestType: 'DeviceInformation', Queries: [...IOS_DEVICE_INFORMATION_QUERIES] },
  { RequestType: 'SecurityInfo' },
  { RequestType: 'CertificateList' },
];

interface DeviceRow {
  id: string;
  udid: string;
}

/**
 * Queues a full inventory (every iOS DeviceInformation query, SecurityInfo, CertificateList) for devices,
 * never a second one while an inventory command is still open for a device. The inventory rows are locked
 * first, so a refresh from the API and one from the schedule cannot both queue for the same device.
 */
@Injectable()
export class InventoryRefreshService {
  private readonly logger = new Logger(InventoryRefreshService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: CommandsService,
    private readonly pushes: PushRequestsService,
  ) {}

  /** On demand: 404 naming unknown devices, 409 naming unenrolled ones. */
  async refreshUdids(udids: readonly string[]): Promise<InventoryRefreshView> {
    const wanted = [...new Set(udids)];
    return this.run(async (tx) => {
      const found = await InventoryStore.devicesByUdid(tx, wanted);
      const known = new Set(found.map((d) => d.udid));
      const unknown = wanted.filter((u) => !known.has(u));
      if (unknown.length) throw new NotFoundException(`unknown device(s): ${unknown.slice(0, 20).join(', ')}`);
      const unenrolled = found.filter((d) => !d.enrolled).map((d) => d.udid);
      if (unenrolled.length) throw new ConflictException(`device(s) not enrolled: ${unenrolled.slice(0, 20).join(', ')}`);
      return this.queue(tx, found, 'api');
    });
  }

  /** The schedule and enrollment: devices already known to be enrolled. */
  async refreshDevices(devices: readonly DeviceRow[], source: RefreshSource): Promise<InventoryRefreshView> {
    if (!devices.length) return { queued: [], skipped: [], commandUuids: [] };
    return this.run((tx) => this.queue(tx, devices, source));
  }

  private async run(work: (tx: EntityManager) => Promise<{ view: InventoryRefreshView; planned: Array<{ ids: string[]; delayMs: number }> }>): Promise<InventoryRefreshView> {
    const { view, planned } = await this.dataSource.transaction(work);
    for (const p of planned) await this.pushes.dispatch(p);
    return view;
  }

  private async queue(tx: EntityManager, devices: readonly DeviceRow[], source: RefreshSource) {
    await InventoryStore.lock(tx, devices.map((d) => d.id));
    const open = await InventoryStore.withOpenRefresh(tx, devices.map((d) => d.id));
    const due = devices.filter((d) => !open.has(d.id));
    const skipped = devices.filter((d) => open.has(d.id)).map((d) => ({ udid: d.udid, reason: 'an inventory refresh is still open' }));
    const planned: Array<{ ids: string[]; delayMs: number }> = [];
    const commandUuids: string[] = [];
    if (due.length) {
      for (const [i, command] of INVENTORY_COMMANDS.entries()) {
        // One push for the lot: the device takes every queued command in one session.
        const queued = await this.commands.queue(tx, { udids: due.map((d) => d.udid), command, push: i === INVENTORY_COMMANDS.length - 1, raw: false });
        commandUuids.push(queued.commandUuid);
        planned.push(queued.planned);
      }
    }
    // The schedule moves on from a device whose refresh is still open: it is asked again one interval later.
    await InventoryStore.markRefreshRequested(tx, source === 'schedule' ? devices.map((d) => d.id) : due.map((d) => d.id), source);
    if (due.length) this.logger.log(`inventory refresh (${source}) queued for ${due.length} device(s)`);
    return { view: { queued: due.map((d) => d.udid), skipped, commandUuids }, planned };
  }
}
