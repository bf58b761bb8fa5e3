import inventoryJson from '../catalog/inventory.json';
import type { InventoryCatalogFile, InventoryQuerySpec } from '../catalog/types';

export type { InventoryQuerySpec } from '../catalog/types';

const catalog = inventoryJson as InventoryCatalogFile;

/** Every DeviceInformation query iOS answers (derived from Apple's schema by scripts/build-catalog.mjs). */
export const IOS_DEVICE_INFORMATION_QUERIES: readonly string[] = catalog.deviceInformation.map((q) => q.query);

const specs = new Map(catalog.deviceInformation.map((q) => [q.query, q]));

export function inventoryQuerySpec(query: string): InventoryQuerySpec | undefined {
  return specs.get(query);
}

/** How an inventory is shown: the sections an operator looks in. */
export const INVENTORY_GROUPS = ['hardware', 'os', 'network', 'security', 'other'] as const;
export type InventoryGroup = (typeof INVENTORY_GROUPS)[number];

const GROUP_MEMBERS: Record<Exclude<InventoryGroup, 'other'>, readonly string[]> = {
  hardware: [
    'UDID', 'SerialNumber', 'DeviceName', 'ProductName', 'ModelName', 'Model', 'ModelNumber',
    'DeviceCapacity', 'AvailableDeviceCapacity', 'BatteryLevel', 'EASDeviceIdentifier',
  ],
  os: [
    'OSVersion', 'BuildVersion', 'SupplementalOSVersionExtra', 'SupplementalBuildVersion', 'TimeZone',
    'SoftwareUpdateDeviceID', 'SoftwareUpdateSettings', 'IsMultiUser', 'MaximumResidentUsers',
    'EstimatedResidentUsers', 'QuotaSize', 'ResidentUsers', 'UserSessionTimeout', 'TemporarySessionTimeout',
    'TemporarySessionOnly', 'ManagedAppleIDDefaultDomains', 'OnlineAuthenticationGracePeriod',
    'SkipLanguageAndLocaleSetupForNewUsers', 'AccessibilitySettings', 'IsDoNotDisturbInEffect',
    'IsCloudBackupEnabled', 'LastCloudBackupDate', 'iTunesStoreAccountIsActive', 'iTunesStoreAccountHash',
    'DiagnosticSubmissionEnabled', 'AppAnalyticsEnabled',
  ],
  network: [
    'WiFiMAC', 'BluetoothMAC', 'IMEI', 'MEID', 'ICCID', 'ModemFirmwareVersion', 'CellularTechnology',
    'PhoneNumber', 'CurrentCarrierNetwork', 'SubscriberCarrierNetwork', 'CarrierSettingsVersion',
    'DataRoamingEnabled', 'VoiceRoamingEnabled', 'PersonalHotspotEnabled', 'IsNetworkTethered', 'IsRoaming',
    'SubscriberMCC', 'SubscriberMNC', 'CurrentMCC', 'CurrentMNC', 'ServiceSubscriptions',
  ],
  security: [
    'IsSupervised', 'IsActivationLockEnabled', 'IsDeviceLocatorServiceEnabled', 'IsMDMLostModeEnabled',
    'AwaitingConfiguration', 'OrganizationInfo', 'MDMOptions', 'PushToken', 'DevicePropertiesAttestation',
  ],
};
const groupOf = new Map<string, InventoryGroup>(
  Object.entries(GROUP_MEMBERS).flatMap(([group, queries]) => queries.map((q) => [q, group as InventoryGroup] as const)),
);

/** The section a query is shown in; a query Apple adds later lands in `other` until it is placed. */
export function inventoryGroup(query: string): InventoryGroup {
  return groupOf.get(query) ?? 'other';
}

/**
 * Answers that move on every refresh (charge, free space, backup time): kept in the inventory, but a
 * history entry for each would bury the changes an operator looks for.
 */
export const VOLATILE_INVENTORY_QUERIES: ReadonlySet<string> = new Set([
  'BatteryLevel',
  'AvailableDeviceCapacity',
  'LastCloudBackupDate',
  'IsDoNotDisturbInEffect',
]);
