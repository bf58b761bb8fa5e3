import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type DeviceList, type DeviceListQuery, type DeviceView, iso } from '@mdm/contracts';
import { type DeviceRecord, DeviceStore, devicePushStatus, DevicePushStatusStore, type DevicePushStatus, isTokenDead, strandedTopicsOf } from '@mdm/persistence';

/** Devices and their push state, as the admin API shows them. */
@Injectable()
export class DevicesService {
  constructor(private readonly dataSource: DataSource) {}

  async get(udid: string): Promise<DeviceView> {
    const device = await DeviceStore.byUdid(this.dataSource, udid);
    if (!device) throw new NotFoundException(`device ${udid} not found`);
    return (await this.views([device]))[0]!;
  }

  async list(q: DeviceListQuery): Promise<DeviceList> {
    const { devices, total } = await DeviceStore.list(this.dataSource, q);
    return { devices: await this.views(devices), total, limit: q.limit, offset: q.offset };
  }

  private async views(devices: DeviceRecord[]): Promise<DeviceView[]> {
    const ids = devices.map((d) => d.id);
    const stranded = await strandedTopicsOf(this.dataSource, ids);
    const pushStatus = await DevicePushStatusStore.ofDevices(this.dataSource, ids);
    return devices.map((d) => toView(d, !stranded.has(d.id), pushStatus.get(d.id)));
  }
}

function toView(d: DeviceRecord, topicHasCertificate: boolean, status: DevicePushStatus | undefined): DeviceView {
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
