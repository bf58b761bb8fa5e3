import type { OffsetPage } from '../list-query';

/** A device as GET /v1/devices and GET /v1/devices/:udid answer it. */
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

/** The answer to POST /v1/devices/push. */
export interface PushDevicesView {
  /** Devices that will be pushed (a device with a push already pending shares it). */
  pushed: number;
  /** Enrolled devices that cannot be pushed, and why (a dead token until the next TokenUpdate). */
  skipped: Array<{ udid: string; reason: string }>;
}
