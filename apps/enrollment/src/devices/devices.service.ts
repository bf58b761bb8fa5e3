import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FindOptionsWhere, Repository } from 'typeorm';
import { DeviceEntity } from '@mdm/persistence';

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
  push: { pushable: boolean; lastPushAt: string | null; lastOutcome: string | null; tokenInvalidReason: string | null };
  authenticatedAt: string | null;
  enrolledAt: string | null;
  checkedOutAt: string | null;
  lastSeenAt: string | null;
}

export interface DeviceFilter {
  enrolled?: boolean;
  supervised?: boolean;
  osVersion?: string;
  limit: number;
  offset: number;
}

@Injectable()
export class DevicesService {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

  async get(udid: string): Promise<DeviceView> {
    const device = await this.devices.findOneBy({ udid });
    if (!device) throw new NotFoundException(`device ${udid} not found`);
    return toView(device);
  }

  async list(filter: DeviceFilter): Promise<{ devices: DeviceView[]; total: number; limit: number; offset: number }> {
    const where: FindOptionsWhere<DeviceEntity> = {};
    if (filter.enrolled !== undefined) where.enrolled = filter.enrolled;
    if (filter.supervised !== undefined) where.isSupervised = filter.supervised;
    if (filter.osVersion !== undefined) where.osVersion = filter.osVersion;
    const [rows, total] = await this.devices.findAndCount({
      where,
      order: { createdAt: 'ASC', id: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { devices: rows.map(toView), total, limit: filter.limit, offset: filter.offset };
  }
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toView(d: DeviceEntity): DeviceView {
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
      pushable: d.enrolled && !!d.pushToken && !d.tokenInvalidAt,
      lastPushAt: iso(d.lastPushAt),
      lastOutcome: d.lastPushOutcome,
      tokenInvalidReason: d.tokenInvalidReason,
    },
    authenticatedAt: iso(d.authenticatedAt),
    enrolledAt: iso(d.enrolledAt),
    checkedOutAt: iso(d.checkedOutAt),
    lastSeenAt: iso(d.lastSeenAt),
  };
}
