import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeviceInventoryView, InventoryHistoryQuery, InventoryHistoryView, InventoryItemView } from '@mdm/contracts';
import { InventoryStore } from '@mdm/persistence';
import { INVENTORY_GROUPS, inventoryGroup, inventoryQuerySpec, type JsonDict } from '@mdm/protocol';
import { iso } from '@mdm/contracts';

/** Read side of the inventory: what the admin API, console and mdmctl show. */
@Injectable()
export class InventoryViewService {
  constructor(private readonly dataSource: DataSource) {}

  async inventory(udid: string): Promise<DeviceInventoryView> {
    const deviceId = await this.deviceId(udid);
    const [stored, open] = await Promise.all([
      InventoryStore.read(this.dataSource, deviceId),
      InventoryStore.withOpenRefresh(this.dataSource, [deviceId]),
    ]);
    return {
      udid,
      deviceInformation: items(stored?.deviceInformation ?? null),
      deviceInformationAt: iso(stored?.deviceInformationAt),
      securityInfo: stored?.securityInfo ?? null,
      securityInfoAt: iso(stored?.securityInfoAt),
      certificates: stored?.certificates ?? null,
      certificatesAt: iso(stored?.certificatesAt),
      refreshRequestedAt: iso(stored?.refreshRequestedAt),
      refreshSource: stored?.refreshSource ?? null,
      refreshOpen: open.has(deviceId),
    };
  }

  async history(udid: string, page: InventoryHistoryQuery): Promise<InventoryHistoryView> {
    const deviceId = await this.deviceId(udid);
    // One more than asked tells whether an older page exists.
    const rows = await InventoryStore.changes(this.dataSource, deviceId, { limit: page.limit + 1, before: page.before });
    const changes = rows.slice(0, page.limit).map((c) => ({ ...c, changedAt: c.changedAt.toISOString() }));
    return { udid, changes, next: rows.length > page.limit ? (changes[changes.length - 1]?.id ?? null) : null };
  }

  private async deviceId(udid: string): Promise<string> {
    const [row] = await InventoryStore.devicesByUdid(this.dataSource, [udid]);
    if (!row) throw new NotFoundException(`device ${udid} not found`);
    return row.id;
  }
}

/** Answers with their group and Apple's type, by group then in Apple's order (unknown queries last). */
function items(info: JsonDict | null): InventoryItemView[] {
  if (!info) return [];
  const rank = (query: string): number => INVENTORY_GROUPS.indexOf(inventoryGroup(query));
  return Object.entries(info)
    .map(([query, value]) => ({ query, group: inventoryGroup(query), type: inventoryQuerySpec(query)?.type ?? 'any', value }))
    .sort((a, b) => rank(a.query) - rank(b.query));
}
