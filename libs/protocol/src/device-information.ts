import type { PlistDict, PlistValue } from './plist-value';

/**
 * The subset of a DeviceInformation answer the server keeps as columns. Everything else a device
 * reports stays available in the raw QueryResponses (see plistToJson).
 */
export interface DeviceInformation {
  udid?: string;
  serialNumber?: string;
  productName?: string;
  model?: string;
  modelName?: string;
  modelNumber?: string;
  deviceName?: string;
  osVersion?: string;
  buildVersion?: string;
  isSupervised?: boolean;
  imei?: string;
  meid?: string;
  iccid?: string;
  phoneNumber?: string;
  wifiMac?: string;
  bluetoothMac?: string;
  isActivationLockEnabled?: boolean;
  isDeviceLocatorServiceEnabled?: boolean;
  isCloudBackupEnabled?: boolean;
  isMdmLostModeEnabled?: boolean;
  isMultiUser?: boolean;
  awaitingConfiguration?: boolean;
  /** GB, as the device reports it. */
  deviceCapacity?: number;
  /** GB, as the device reports it. */
  availableDeviceCapacity?: number;
  /** 0.0 to 1.0; -1 when the device cannot tell. */
  batteryLevel?: number;
  lastCloudBackupDate?: Date;
  timeZone?: string;
}

/**
 * Queries sent with a DeviceInformation command when the caller has no list of its own: the
 * iOS/iPadOS keys of apple-device-management/mdm/commands/information.device.yaml behind the
 * fields above. Some need access rights or are deprecated on iOS 16+; a device just omits what
 * it will not answer.
 */
export const DEFAULT_DEVICE_INFORMATION_QUERIES: string[] = [
  'UDID',
  'SerialNumber',
  'ProductName',
  'Model',
  'ModelName',
  'ModelNumber',
  'DeviceName',
  'OSVersion',
  'BuildVersion',
  'IsSupervised',
  'IMEI',
  'MEID',
  'ICCID',
  'PhoneNumber',
  'WiFiMAC',
  'BluetoothMAC',
  'IsActivationLockEnabled',
  'IsDeviceLocatorServiceEnabled',
  'IsCloudBackupEnabled',
  'IsMDMLostModeEnabled',
  'IsMultiUser',
  'AwaitingConfiguration',
  'DeviceCapacity',
  'AvailableDeviceCapacity',
  'BatteryLevel',
  'LastCloudBackupDate',
  'TimeZone',
];

type FieldKind = 'string' | 'boolean' | 'number' | 'date';
type FieldsOfKind<K extends FieldKind> = {
  [F in keyof DeviceInformation]-?: NonNullable<DeviceInformation[F]> extends KindType[K] ? F : never;
}[keyof DeviceInformation];
interface KindType {
  string: string;
  boolean: boolean;
  number: number;
  date: Date;
}

// Typed so a field can only be mapped from a query key of its own kind.
const STRING_FIELDS: Record<string, FieldsOfKind<'string'>> = {
  UDID: 'udid',
  SerialNumber: 'serialNumber',
  ProductName: 'productName',
  Model: 'model',
  ModelName: 'modelName',
  ModelNumber: 'modelNumber',
  DeviceName: 'deviceName',
  OSVersion: 'osVersion',
  BuildVersion: 'buildVersion',
  IMEI: 'imei',
  MEID: 'meid',
  ICCID: 'iccid',
  PhoneNumber: 'phoneNumber',
  WiFiMAC: 'wifiMac',
  BluetoothMAC: 'bluetoothMac',
  TimeZone: 'timeZone',
};
const BOOLEAN_FIELDS: Record<string, FieldsOfKind<'boolean'>> = {
  IsSupervised: 'isSupervised',
  IsActivationLockEnabled: 'isActivationLockEnabled',
  IsDeviceLocatorServiceEnabled: 'isDeviceLocatorServiceEnabled',
  IsCloudBackupEnabled: 'isCloudBackupEnabled',
  IsMDMLostModeEnabled: 'isMdmLostModeEnabled',
  IsMultiUser: 'isMultiUser',
  AwaitingConfiguration: 'awaitingConfiguration',
};
const NUMBER_FIELDS: Record<string, FieldsOfKind<'number'>> = {
  DeviceCapacity: 'deviceCapacity',
  AvailableDeviceCapacity: 'availableDeviceCapacity',
  BatteryLevel: 'batteryLevel',
};
const DATE_FIELDS: Record<string, FieldsOfKind<'date'>> = {
  LastCloudBackupDate: 'lastCloudBackupDate',
};

/**
 * Picks the known fields out of a DeviceInformation QueryResponses dict. A missing key or a value
 * of the wrong type is skipped rather than refused: one odd value from one OS version must not
 * lose the rest of the inventory.
 */
export function parseDeviceInformation(queryResponses: PlistDict): DeviceInformation {
  const info: DeviceInformation = {};
  const own = (key: string): PlistValue | undefined =>
    Object.prototype.hasOwnProperty.call(queryResponses, key) ? queryResponses[key] : undefined;
  for (const [key, field] of Object.entries(STRING_FIELDS)) {
    const value = own(key);
    if (typeof value === 'string') info[field] = value;
  }
  for (const [key, field] of Object.entries(BOOLEAN_FIELDS)) {
    const value = own(key);
    if (typeof value === 'boolean') info[field] = value;
  }
  for (const [key, field] of Object.entries(NUMBER_FIELDS)) {
    const value = own(key);
    if (typeof value === 'number' && Number.isFinite(value)) info[field] = value;
  }
  for (const [key, field] of Object.entries(DATE_FIELDS)) {
    const value = own(key);
    if (value instanceof Date && !Number.isNaN(value.getTime())) info[field] = value;
  }
  return info;
}

/** APNs wants the device token as lowercase hex in the request path. */
export function tokenHex(token: Buffer): string {
  return token.toString('hex');
}
