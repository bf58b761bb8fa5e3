import { createHash, randomBytes } from 'node:crypto';
import type { PlistDict } from '@mdm/protocol';

/** What the hardware is, fixed for a ProductName so every answer about it agrees. */
export interface SimulatedHardware {
  productName: string;
  /** 'iPhone' or 'iPad', as DeviceInformation's ModelName reports it. */
  modelName: string;
  /** Part number without region, e.g. 'MQ9T3'. */
  model: string;
  /** With region, e.g. 'MQ9T3LL/A'. */
  modelNumber: string;
  /** Board ID, what SoftwareUpdateDeviceID reports. */
  boardId: string;
  /** Base-10 GB, as the device reports it. */
  capacityGb: number;
  /** Has a modem: IMEI, ICCID, carrier and roaming queries are answered only then. */
  cellular: boolean;
}

const HARDWARE: Record<string, Omit<SimulatedHardware, 'productName' | 'modelNumber'>> = {
  'iPhone14,5': { modelName: 'iPhone', model: 'MLPF3', boardId: 'D17AP', capacityGb: 127.87, cellular: true },
  'iPhone15,2': { modelName: 'iPhone', model: 'MQ9T3', boardId: 'D73AP', capacityGb: 127.87, cellular: true },
  'iPhone16,1': { modelName: 'iPhone', model: 'MTUV3', boardId: 'D83AP', capacityGb: 255.87, cellular: true },
  'iPad13,18': { modelName: 'iPad', model: 'MPQ03', boardId: 'J271AP', capacityGb: 63.87, cellular: false },
  'iPad14,5': { modelName: 'iPad', model: 'MNXP3', boardId: 'J522AP', capacityGb: 127.87, cellular: false },
};

/** A ProductName outside the table still gets coherent answers: an iPhone has a modem, an iPad has not. */
export function hardwareFor(productName: string): SimulatedHardware {
  const known = HARDWARE[productName];
  const isPad = productName.startsWith('iPad');
  const base = known ?? {
    modelName: isPad ? 'iPad' : 'iPhone',
    model: isPad ? 'MPQ03' : 'MQ9T3',
    boardId: isPad ? 'J271AP' : 'D73AP',
    capacityGb: 127.87,
    cellular: !isPad,
  };
  return { productName, ...base, modelNumber: `${base.model}LL/A` };
}

export interface SimulatedApp {
  identifier: string;
  name: string;
  version: string;
  shortVersion: string;
  bundleSize: number;
  dynamicSize: number;
  /** Installed through InstallApplication: listed by ManagedApplicationList, removable by RemoveApplication. */
  managed: boolean;
  managementFlags: number;
  externalVersionIdentifier: number;
  configuration?: PlistDict;
  attributes?: PlistDict;
}

export interface SimulatedProvisioningProfile {
  name: string;
  uuid: string;
  expiryDate: Date;
  managed: boolean;
}

/** One AvailableOSUpdates entry (system.update.available.yaml, response keys). */
export interface SimulatedOsUpdate {
  productKey: string;
  humanReadableName: string;
  version: string;
  build: string;
  downloadSize: number;
  installSize: number;
  isCritical: boolean;
  restartRequired: boolean;
  isSecurityResponse: boolean;
}

export interface ScheduledOsUpdate {
  productKey: string;
  installAction: string;
  status: string;
}

/**
 * Everything the simulated device answers from. Identifiers derive from the UDID and serial, so one
 * simulator always tells the same story and two simulators never share a MAC or IMEI.
 * Tests may change fields directly (e.g. `device.state.batteryLevel = 0.2`).
 */
export interface DeviceState {
  udid: string;
  serialNumber: string;
  hardware: SimulatedHardware;
  osVersion: string;
  buildVersion: string;
  supervised: boolean;
  /** Locked with Data Protection: commands iOS defers get NotNow. */
  busy: boolean;
  deviceName: string;
  timeZone: string;
  imei: string;
  meid: string;
  iccid: string;
  phoneNumber: string;
  wifiMac: string;
  bluetoothMac: string;
  easDeviceIdentifier: string;
  batteryLevel: number;
  availableCapacityGb: number;
  lostMode: boolean;
  awaitingConfiguration: boolean;
  passcodePresent: boolean;
  cloudBackupEnabled: boolean;
  lastCloudBackupDate: Date;
  activationLockEnabled: boolean;
  findMyEnabled: boolean;
  dataRoaming: boolean;
  voiceRoaming: boolean;
  personalHotspot: boolean;
  bluetooth: boolean;
  diagnosticSubmission: boolean;
  appAnalytics: boolean;
  recommendationsCadence: number;
  accessibility: PlistDict;
  /** Set by the Settings command; unanswered by DeviceInformation until then. */
  organizationInfo?: PlistDict;
  mdmOptions?: PlistDict;
  activationLockBypassCode?: string;
  apps: Map<string, SimulatedApp>;
  provisioningProfiles: Map<string, SimulatedProvisioningProfile>;
  availableOsUpdates: SimulatedOsUpdate[];
  scheduledOsUpdates: Map<string, ScheduledOsUpdate>;
}

export interface DeviceStateSeed {
  udid: string;
  serialNumber: string;
  productName: string;
  osVersion: string;
  buildVersion: string;
  supervised: boolean;
  busy?: boolean;
  deviceName?: string;
}

export function createDeviceState(seed: DeviceStateSeed): DeviceState {
  const hardware = hardwareFor(seed.productName);
  const bytes = createHash('sha256').update(`${seed.udid}/${seed.serialNumber}`).digest();
  const digits = (from: number, count: number): string => Array.from(bytes.subarray(from, from + count), (b) => String(b % 10)).join('');
  const mac = (from: number): string => ['a4', '83', 'e7', ...Array.from(bytes.subarray(from, from + 3), (b) => b.toString(16).padStart(2, '0'))].join(':');
  const imei = withLuhn(`35${digits(0, 12)}`);
  const apps: SimulatedApp[] = [
    { identifier: 'com.apple.Pages', name: 'Pages', version: '7430', shortVersion: '14.0', bundleSize: 512_430_080, dynamicSize: 1_232_896, managed: false, managementFlags: 0, externalVersionIdentifier: 863_124_019 },
    { identifier: 'com.microsoft.Office.Outlook', name: 'Outlook', version: '4.2418.0', shortVersion: '4.2418.0', bundleSize: 286_912_512, dynamicSize: 48_300_032, managed: false, managementFlags: 0, externalVersionIdentifier: 866_214_873 },
  ];
  return {
    udid: seed.udid,
    serialNumber: seed.serialNumber,
    hardware,
    osVersion: seed.osVersion,
    buildVersion: seed.buildVersion,
    supervised: seed.supervised,
    busy: seed.busy ?? false,
    deviceName: seed.deviceName ?? `Simulated ${hardware.modelName}`,
    timeZone: 'Europe/Paris',
    imei: `${imei.slice(0, 2)} ${imei.slice(2, 8)} ${imei.slice(8, 14)} ${imei.slice(14)}`,
    meid: imei.slice(0, 14),
    iccid: withLuhn(`8901410${digits(12, 11)}`),
    phoneNumber: `1555${digits(23, 7)}`,
    wifiMac: mac(2),
    bluetoothMac: mac(5),
    easDeviceIdentifier: bytes.subarray(8, 24).toString('hex').toUpperCase(),
    batteryLevel: 0.87,
    availableCapacityGb: Math.round(hardware.capacityGb * 0.76 * 100) / 100,
    lostMode: false,
    awaitingConfiguration: false,
    passcodePresent: true,
    cloudBackupEnabled: true,
    lastCloudBackupDate: new Date(Date.now() - 86_400_000),
    activationLockEnabled: seed.supervised,
    findMyEnabled: true,
    dataRoaming: false,
    voiceRoaming: true,
    personalHotspot: false,
    bluetooth: true,
    diagnosticSubmission: false,
    appAnalytics: false,
    recommendationsCadence: 0,
    accessibility: { BoldTextEnabled: false, IncreaseContrastEnabled: false, ReduceMotionEnabled: false, ReduceTransparencyEnabled: false, TextSize: 3, TouchAccommodationsEnabled: false, VoiceOverEnabled: false, ZoomEnabled: false },
    apps: new Map(apps.map((a) => [a.identifier, a])),
    provisioningProfiles: new Map(),
    availableOsUpdates: [nextUpdate(seed.osVersion)],
    scheduledOsUpdates: new Map(),
  };
}

/** A minor update above the running version, so AvailableOSUpdates has something to offer. */
function nextUpdate(osVersion: string): SimulatedOsUpdate {
  const [major = 17, minor = 0] = osVersion.split('.').map(Number);
  const version = `${major}.${minor + 1}`;
  const build = `${major + 4}G${10 + minor}`;
  return {
    productKey: `iOSUpdate${build}`,
    humanReadableName: `iOS ${version}`,
    version,
    build,
    downloadSize: 1_578_000_000,
    installSize: 3_110_000_000,
    isCritical: false,
    restartRequired: true,
    isSecurityResponse: false,
  };
}

/** Appends the Luhn check digit IMEIs and ICCIDs carry. */
function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

/** Looks like an Apple serial (12 characters, no I or O) so format checks on the server see realistic input. */
export function randomSerialNumber(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
}
