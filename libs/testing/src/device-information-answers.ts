import { compareOsVersions, type PlistDict, type PlistValue } from '@mdm/protocol';
import type { DeviceState } from './device-state';

interface QueryRule {
  value: (s: DeviceState) => PlistValue | undefined;
  /** iOS version that added the query (Apple's `introduced`). */
  since?: string;
  /** iOS version that dropped it (Apple's `removed`). */
  until?: string;
  /** Answered on supervised devices only. */
  supervised?: true;
  /** Answered only by a device with a modem. */
  cellular?: true;
}

const never = (): undefined => undefined;

/**
 * Every iOS query of apple-device-management/mdm/commands/information.device.yaml, answered from the state.
 * Some are never answered, as on a real iPhone: Shared iPad queries (this is no Shared iPad), PushToken
 * (user channel only) and DevicePropertiesAttestation (needs Apple's attestation CA).
 */
const QUERIES: Record<string, QueryRule> = {
  UDID: { value: (s) => s.udid },
  OrganizationInfo: { value: (s) => s.organizationInfo, since: '7.0' },
  MDMOptions: { value: (s) => s.mdmOptions, since: '7.0' },
  LastCloudBackupDate: { value: (s) => (s.cloudBackupEnabled ? s.lastCloudBackupDate : undefined), since: '8.0' },
  AwaitingConfiguration: { value: (s) => s.awaitingConfiguration, since: '9.0' },
  iTunesStoreAccountIsActive: { value: () => false, since: '7.0' },
  // Only sent while an iTunes Store account is signed in; the simulated device has none.
  iTunesStoreAccountHash: { value: never, since: '8.0' },
  DeviceName: { value: (s) => s.deviceName },
  OSVersion: { value: (s) => s.osVersion },
  SupplementalOSVersionExtra: { value: () => '', since: '16.1' },
  BuildVersion: { value: (s) => s.buildVersion },
  SupplementalBuildVersion: { value: (s) => s.buildVersion, since: '16.1' },
  ModelName: { value: (s) => s.hardware.modelName },
  Model: { value: (s) => s.hardware.model },
  ModelNumber: { value: (s) => s.hardware.modelNumber, since: '16.4' },
  ProductName: { value: (s) => s.hardware.productName },
  SerialNumber: { value: (s) => s.serialNumber },
  DeviceCapacity: { value: (s) => s.hardware.capacityGb },
  AvailableDeviceCapacity: { value: (s) => s.availableCapacityGb },
  IMEI: { value: (s) => s.imei, cellular: true },
  MEID: { value: (s) => s.meid, cellular: true },
  ModemFirmwareVersion: { value: () => '1.60.03', cellular: true },
  CellularTechnology: { value: (s) => (s.hardware.cellular ? 3 : 0), since: '4.2.6' },
  BatteryLevel: { value: (s) => s.batteryLevel, since: '5.0' },
  IsSupervised: { value: (s) => s.supervised, since: '6.0' },
  IsMultiUser: { value: () => false, since: '9.3' },
  IsDeviceLocatorServiceEnabled: { value: (s) => s.findMyEnabled, since: '7.0' },
  IsActivationLockEnabled: { value: (s) => s.activationLockEnabled, since: '7.0' },
  IsDoNotDisturbInEffect: { value: () => false, since: '7.0' },
  EASDeviceIdentifier: { value: (s) => s.easDeviceIdentifier, since: '7.0' },
  IsCloudBackupEnabled: { value: (s) => s.cloudBackupEnabled, since: '7.1' },
  IsMDMLostModeEnabled: { value: (s) => s.lostMode, since: '9.3' },
  MaximumResidentUsers: { value: never, since: '9.3' },
  EstimatedResidentUsers: { value: never, since: '14.0' },
  QuotaSize: { value: never, since: '13.4' },
  ResidentUsers: { value: never, since: '13.4' },
  UserSessionTimeout: { value: never, since: '14.5' },
  TemporarySessionTimeout: { value: never, since: '14.5' },
  TemporarySessionOnly: { value: never, since: '14.5' },
  ManagedAppleIDDefaultDomains: { value: never, since: '16.0' },
  OnlineAuthenticationGracePeriod: { value: never, since: '16.0' },
  SkipLanguageAndLocaleSetupForNewUsers: { value: never, since: '16.2' },
  PushToken: { value: never, since: '9.3' },
  DiagnosticSubmissionEnabled: { value: (s) => s.diagnosticSubmission, since: '9.3' },
  AppAnalyticsEnabled: { value: (s) => s.appAnalytics, since: '9.3' },
  TimeZone: { value: (s) => s.timeZone, since: '14.0' },
  ICCID: { value: (s) => s.iccid, cellular: true },
  BluetoothMAC: { value: (s) => s.bluetoothMac },
  WiFiMAC: { value: (s) => s.wifiMac },
  CurrentCarrierNetwork: { value: () => 'AT&T', cellular: true },
  SIMCarrierNetwork: { value: () => 'AT&T', until: '5.0', cellular: true },
  SubscriberCarrierNetwork: { value: () => 'AT&T', since: '5.0', cellular: true },
  CarrierSettingsVersion: { value: () => '56.0', cellular: true },
  PhoneNumber: { value: (s) => s.phoneNumber, cellular: true },
  DataRoamingEnabled: { value: (s) => s.dataRoaming, since: '5.0', cellular: true },
  VoiceRoamingEnabled: { value: (s) => s.voiceRoaming, since: '5.0', cellular: true },
  PersonalHotspotEnabled: { value: (s) => s.personalHotspot, since: '7.0', cellular: true },
  IsNetworkTethered: { value: () => false, since: '10.3' },
  IsRoaming: { value: () => false, since: '4.2', cellular: true },
  SubscriberMCC: { value: () => '310', since: '4.2.6', cellular: true },
  SubscriberMNC: { value: () => '410', since: '4.2.6', cellular: true },
  CurrentMCC: { value: () => '310', cellular: true },
  CurrentMNC: { value: () => '410', cellular: true },
  ServiceSubscriptions: { value: serviceSubscriptions, since: '12.0', cellular: true },
  SoftwareUpdateDeviceID: { value: (s) => s.hardware.boardId, since: '15.0' },
  SoftwareUpdateSettings: { value: (s) => ({ RecommendationsCadence: s.recommendationsCadence }), since: '14.5' },
  AccessibilitySettings: { value: (s) => s.accessibility, since: '16.0', supervised: true },
  DevicePropertiesAttestation: { value: never, since: '16.0' },
};

/** The query names the simulator knows, which are the iOS ones Apple lists. */
export const SIMULATED_DEVICE_INFORMATION_QUERIES: readonly string[] = Object.keys(QUERIES);

/**
 * QueryResponses for `queries`: a query iOS does not know, or does not answer on this device (its version,
 * supervision, no modem), is left out, as iOS does. `overrides` answer by query name before the state does.
 */
export function answerDeviceInformation(state: DeviceState, queries: readonly string[], overrides: PlistDict = {}): PlistDict {
  const responses: PlistDict = {};
  for (const query of queries) {
    if (Object.hasOwn(overrides, query)) {
      responses[query] = overrides[query];
      continue;
    }
    const rule = Object.hasOwn(QUERIES, query) ? QUERIES[query] : undefined;
    if (!rule || !answers(rule, state)) continue;
    const value = rule.value(state);
    if (value !== undefined) responses[query] = value;
  }
  return responses;
}

function answers(rule: QueryRule, state: DeviceState): boolean {
  if (rule.supervised && !state.supervised) return false;
  if (rule.cellular && !state.hardware.cellular) return false;
  if (rule.since && compareOsVersions(state.osVersion, rule.since) < 0) return false;
  return !(rule.until && compareOsVersions(state.osVersion, rule.until) >= 0);
}

/** One SIM, the iOS 12+ view of the carrier keys (ServiceSubscriptionProperty). */
function serviceSubscriptions(s: DeviceState): PlistDict[] {
  const subscription: PlistDict = {
    CarrierSettingsVersion: '56.0',
    CurrentCarrierNetwork: 'AT&T',
    CurrentMCC: '310',
    CurrentMNC: '410',
    ICCID: s.iccid,
    IMEI: s.imei,
    IsDataPreferred: true,
    IsRoaming: false,
    IsVoicePreferred: true,
    Label: 'Primary',
    LabelID: '6D1D8C4B-3F5A-4A8E-9C51-8E3C1F0B2A71',
    MEID: s.meid,
    PhoneNumber: `+${s.phoneNumber}`,
    Slot: 'CTSubscriptionSlotOne',
  };
  if (compareOsVersions(s.osVersion, '16.0') >= 0) subscription.SubscriberCarrierNetwork = 'AT&T';
  return [subscription];
}
