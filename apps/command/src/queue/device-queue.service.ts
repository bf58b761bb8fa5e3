import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PendingCommandView } from '@mdm/contracts';
import { CommandDeliveriesStore, CommandDeliveryListsStore, CommandDevicesStore, CommandsStore } from '@mdm/persistence';

/** The reason a canceled delivery shows. */
const CANCELED_BY_OPERATOR = 'canceled by an operator';

/**
 * Queue inspection for operators. Canceling keeps the rows as CANCELED history; a device that
 * answers a canceled command later is logged and otherwise ignored.
 */
@Injectable()
export class DeviceQueueService {
  constructor(private readonly dataSource: DataSource) {}

  async pending(udid: string): Promise<{ udid: string; pending: PendingCommandView[] }> {
    const rows = await CommandDeliveryListsStore.pendingOf(this.dataSource, await this.deviceId(udid));
    return {
      udid,
      pending: rows.map((r) => ({ ...r, queuedAt: r.queuedAt.toISOString(), expiresAt: r.expiresAt?.toISOString() ?? null })),
    };
  }

  async clear(udid: string): Promise<{ udid: string; canceled: number }> {
    const deviceId = await this.deviceId(udid);
    return { udid, canceled: await CommandDeliveriesStore.cancelOpen(this.dataSource, { deviceId }, CANCELED_BY_OPERATOR) };
  }

  /** Cancels a command on the named devices, or on every device it is still pending on. */
  async cancel(commandUuid: string, udids: readonly string[] | undefined): Promise<{ commandUuid: string; canceled: number }> {
    if (!(await CommandsStore.exists(this.dataSource, commandUuid))) throw new NotFoundException(`command ${commandUuid} not found`);
    return { commandUuid, canceled: await CommandDeliveriesStore.cancelOpen(this.dataSource, { commandUuid, udids }, CANCELED_BY_OPERATOR) };
  }

  private async deviceId(udid: string): Promise<string> {
    const id = await CommandDevicesStore.idByUdid(this.dataSource, udid);
    if (!id) throw new NotFoundException(`device ${udid} not found`);
    return id;
  }
}
