/** What the device says it is, in Authenticate (and DeviceInformation). */
export interface DeviceDescription {
  serialNumber: string | null;
  productName: string | null;
  model: string | null;
  modelName: string | null;
  deviceName: string | null;
  osVersion: string | null;
  buildVersion: string | null;
}

/** A `devices` row, without the raw DeviceInformation (the inventory keeps that). */
export interface DeviceRecord extends DeviceDescription {
  id: string;
  udid: string;
  enrollmentId: string;
  enrolled: boolean;
  topic: string | null;
  isSupervised: boolean | null;
  certFingerprint: string | null;
  certNotAfter: Date | null;
  pushToken: string | null;
  pushMagic: string | null;
  /** Sealed with the server's secret key. */
  unlockToken: string | null;
  /** Sealed; handed back only to the same enrollment. */
  bootstrapToken: string | null;
  bootstrapTokenAt: Date | null;
  tokenUpdateCount: number;
  authenticatedAt: Date | null;
  enrolledAt: Date | null;
  checkedOutAt: Date | null;
  lastSeenAt: Date | null;
  createdAt: Date;
}

export interface DeviceRow {
  id: string;
  udid: string;
  enrollment_id: string;
  enrolled: boolean;
  topic: string | null;
  serial_number: string | null;
  product_name: string | null;
  model: string | null;
  model_name: string | null;
  device_name: string | null;
  os_version: string | null;
  build_version: string | null;
  is_supervised: boolean | null;
  cert_fingerprint: string | null;
  cert_not_after: Date | null;
  push_token: string | null;
  push_magic: string | null;
  unlock_token: string | null;
  bootstrap_token: string | null;
  bootstrap_token_at: Date | null;
  token_update_count: number;
  authenticated_at: Date | null;
  enrolled_at: Date | null;
  checked_out_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
}

/** Every column of `DeviceRow`, for a device aliased `d`. */
export const DEVICE_COLUMNS = `d.id, d.udid, d.enrollment_id, d.enrolled, d.topic, d.serial_number, d.product_name, d.model,
  d.model_name, d.device_name, d.os_version, d.build_version, d.is_supervised, d.cert_fingerprint, d.cert_not_after,
  d.push_token, d.push_magic, d.unlock_token, d.bootstrap_token, d.bootstrap_token_at, d.token_update_count,
  d.authenticated_at, d.enrolled_at, d.checked_out_at, d.last_seen_at, d.created_at`;

export function deviceFromRow(r: DeviceRow): DeviceRecord {
  return {
    id: r.id,
    udid: r.udid,
    enrollmentId: r.enrollment_id,
    enrolled: r.enrolled,
    topic: r.topic,
    serialNumber: r.serial_number,
    productName: r.product_name,
    model: r.model,
    modelName: r.model_name,
    deviceName: r.device_name,
    osVersion: r.os_version,
    buildVersion: r.build_version,
    isSupervised: r.is_supervised,
    certFingerprint: r.cert_fingerprint,
    certNotAfter: r.cert_not_after,
    pushToken: r.push_token,
    pushMagic: r.push_magic,
    unlockToken: r.unlock_token,
    bootstrapToken: r.bootstrap_token,
    bootstrapTokenAt: r.bootstrap_token_at,
    tokenUpdateCount: r.token_update_count,
    authenticatedAt: r.authenticated_at,
    enrolledAt: r.enrolled_at,
    checkedOutAt: r.checked_out_at,
    lastSeenAt: r.last_seen_at,
    createdAt: r.created_at,
  };
}
