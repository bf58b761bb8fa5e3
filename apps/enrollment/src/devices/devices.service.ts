import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { DeviceListQuery, DeviceSortField, OffsetPage } from '@mdm/contracts';
import { DeviceEntity, devicePushStatus, DevicePushStatusStore, type DevicePushStatus, isTokenDead, strandedTopicsOf } from '@mdm/persistence';
import { iso } from '@mdm/contracts';

export interface DeviceView {
  udid: string;
  serialNumber: string | null;
  productName: string | null;
  model: string | null;
  modelName: string | null;
  deviceName: string | null;
  osVersion: string | null;
  buildVersion: string | null;
  supervised: boolean | null;
  enrolled: boolean;
  topic: string | null;
  tokenUpdateCount: number;
  /** `statusReason`: why the device cannot be pushed (null when it can). */
  push: { pushable: boolean; statusReason: string | null; lastPushAt: string | null; lastOutcome: string | null; tokenInvalidReason: string | null };
  authenticatedAt: string | null;
  enrolledAt: string | null;
  checkedOutAt: string | null;
  lastSeenAt: string | null;
}

export type DeviceList = OffsetPage<'devices', DeviceView>;

/**
 * What each sort field orders by. Versions compare numerically through `os_version_key()` (list-indexes
 * migration); missing values go last in either direction, and the id breaks ties so pages never overlap.
 */
const SORT_EXPRESSIONS: Record<DeviceSortField, string> = {
  createdAt: 'd.created_at',
  enrolledAt: 'd.enrolled_at',
  lastSeenAt: 'd.last_seen_at',
  udid: 'd.udid',
  serialNumber: 'd.serial_number',
  osVersion: 'os_version_key(d.os_version)',
};

@Injectable()
export class DevicesService {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

  async get(udid: string): Promise<DeviceView> {
    const device = await this.devices.findOneBy({ udid });
    if (!device) throw new NotFoundException(`device ${udid} not found`);
    return (await this.views([device]))[0]!;
  }

  async list(q: DeviceListQuery): Promise<DeviceList> {
    const qb = this.devices.createQueryBuilder('d');
    if (q.enrolled !== undefined) qb.andWhere('d.enrolled = :enrolled', { enrolled: q.enrolled });
    if (q.supervised !== undefined) qb.andWhere('d.is_supervised = :supervised', { supervised: q.supervised });
    // The schema allows digits and dots only, so the prefix needs no LIKE escaping.
    if (q.os !== undefined) qb.andWhere("(d.os_version = :os OR d.os_version LIKE :os || '.%')", { os: q.os });
    if (q.osMin !== undefined) qb.andWhere('os_version_key(d.os_version) >= os_version_key(:osMin)', { osMin: q.osMin });
    if (q.model !== undefined) {
      qb.andWhere('lower(:model) IN (lower(d.model_name), lower(d.product_name), lower(d.model))', { model: q.model });
    }
    // Serial numbers are upper case as devices report them; this keeps the devices_serial_number index usable.
    if (q.serial !== undefined) qb.andWhere('d.serial_number = :serial', { serial: q.serial.toUpperCase() });
    if (q.search !== undefined) {
      const columns = ['d.device_name', 'd.serial_number', 'd.udid', 'd.model_name', 'd.product_name', 'd.model'];
      qb.andWhere(`(${columns.map((c) => `${c} ILIKE :search`).join(' OR ')})`, { search: `%${q.search.replace(/[\\%_]/g, '\\$&')}%` });
    }
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    const [rows, total] = await qb
      // NULLS LAST only on nullable columns: elsewhere it would stop a backward walk of the udid index.
      .orderBy(SORT_EXPRESSIONS[q.sort], order, q.sort === 'createdAt' || q.sort === 'udid' ? undefined : 'NULLS LAST')
      .addOrderBy('d.id', order)
      .limit(q.limit)
      .offset(q.offset)
      .getManyAndCount();
    return { devices: await this.views(rows), total, limit: q.limit, offset: q.offset };
  }

  private async views(devices: DeviceEntity[]): Promise<DeviceView[]> {
    const ids = devices.map((d) => d.id);
    const stranded = await strandedTopicsOf(this.devices.manager, ids);
    const pushStatus = await DevicePushStatusStore.ofDevices(this.devices.manager, ids);
    return devices.map((d) => toView(d, !stranded.has(d.id), pushStatus.get(d.id)));
  }
}


function toView(d: DeviceEntity, topicHasCertificate: boolean, status: DevicePushStatus | undefined): DeviceView {
  const facts = { ...d, deadToken: status?.deadToken ?? null };
  return {
    udid: d.udid,
    serialNumber: d.serialNumber,
    productName: d.productName,
    model: d.model,
    modelName: d.modelName,
    deviceName: d.deviceName,
    osVersion: d.osVersion,
    buildVersion: d.buildVersion,
    supervised: d.isSupervised,
    enrolled: d.enrolled,
    topic: d.topic,
    tokenUpdateCount: d.tokenUpdateCount,
    push: {
      ...devicePushStatus({ ...facts, topicHasCertificate }),
      lastPushAt: iso(status?.lastPushAt ?? null),
      lastOutcome: status?.lastPushOutcome ?? null,
      tokenInvalidReason: isTokenDead(facts) ? (facts.deadToken?.reason ?? null) : null,
    },
    authenticatedAt: iso(d.authenticatedAt),
    enrolledAt: iso(d.enrolledAt),
    checkedOutAt: iso(d.checkedOutAt),
    lastSeenAt: iso(d.lastSeenAt),
  };
}
