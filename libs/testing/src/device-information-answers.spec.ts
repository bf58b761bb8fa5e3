import * as fs from 'node:fs';
import { commandSpec, compareOsVersions, isPlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import { parse as parseYaml } from 'yaml';
import { createDeviceIdentity, DeviceSimulator, SIMULATED_DEVICE_INFORMATION_QUERIES, type DeviceIdentity, type DeviceSimulatorOptions } from './device-simulator';
import { createTestDeviceCa } from './test-pki';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';

/** RSA key generation in the hooks is slow on a loaded machine. */
const KEYGEN_TIMEOUT_MS = 60_000;

const SCHEMA = sharedPath('apple-device-management/mdm/commands/information.device.yaml');
const withSchema = describeWithShared(SCHEMA);

/** Never answered by this simulated iPhone, each for the reason iOS has (see device-information-answers.ts). */
const NEVER_ANSWERED = ['PushToken', 'DevicePropertiesAttestation', 'iTunesStoreAccountHash', 'OrganizationInfo', 'MDMOptions'];

let identity: DeviceIdentity;
beforeAll(async () => {
  identity = await createDeviceIdentity(await createTestDeviceCa());
}, KEYGEN_TIMEOUT_MS);

function device(opts: Partial<DeviceSimulatorOptions> = {}): DeviceSimulator {
  return new DeviceSimulator({ baseUrl: 'http://127.0.0.1:9', identity, ...opts });
}

async function ask(sim: DeviceSimulator, queries: PlistValue): Promise<PlistDict> {
  const outcome = await sim.outcomeFor({ requestType: 'DeviceInformation', command: { RequestType: 'DeviceInformation', Queries: queries } });
  if (outcome.status !== 'Acknowledged' || !isPlistDict(outcome.response?.QueryResponses)) throw new Error(`DeviceInformation answered ${outcome.status}`);
  return outcome.response.QueryResponses;
}

function allQueries(): string[] {
  return [...SIMULATED_DEVICE_INFORMATION_QUERIES];
}

describe('DeviceInformation answers', () => {
  it('knows exactly the iOS queries of the protocol catalog', () => {
    const known = commandSpec('DeviceInformation')?.keys.find((k) => k.key === 'Queries')?.subkeys?.[0].knownValues;
    expect(known).toBeDefined();
    expect([...SIMULATED_DEVICE_INFORMATION_QUERIES].sort()).toEqual([...(known ?? [])].sort());
  });

  it('tells one coherent story: identifiers, model, capacity and SIM agree, and stay the same', async () => {
    const sim = device({ productName: 'iPhone15,2', osVersion: '17.5', buildVersion: '21F79', isSupervised: true, serialNumber: 'F2LXK0ABHG7F' });
    const answers = await ask(sim, allQueries());
    expect(answers).toMatchObject({
      UDID: sim.udid,
      SerialNumber: 'F2LXK0ABHG7F',
      ProductName: 'iPhone15,2',
      ModelName: 'iPhone',
      Model: 'MQ9T3',
      ModelNumber: 'MQ9T3LL/A',
      OSVersion: '17.5',
      BuildVersion: '21F79',
      SupplementalBuildVersion: '21F79',
      IsSupervised: true,
      SoftwareUpdateDeviceID: 'D73AP',
      DeviceName: 'Simulated iPhone',
      IsMDMLostModeEnabled: false,
    });
    const capacity = answers.DeviceCapacity as number;
    expect(answers.AvailableDeviceCapacity).toBeLessThan(capacity);
    expect(answers.BatteryLevel).toBeGreaterThan(0);
    expect(answers.BatteryLevel).toBeLessThanOrEqual(1);
    const imei = String(answers.IMEI).replace(/ /g, '');
    expect(imei).toMatch(/^35\d{13}$/);
    expect(luhnValid(imei)).toBe(true);
    expect(answers.MEID).toBe(imei.slice(0, 14));
    const [subscription] = answers.ServiceSubscriptions as PlistDict[];
    expect(subscription).toMatchObject({ IMEI: answers.IMEI, ICCID: answers.ICCID, PhoneNumber: `+${String(answers.PhoneNumber)}` });
    // Another device gets other identifiers; the same device answers the same twice.
    const other = await ask(device(), ['WiFiMAC', 'IMEI', 'EASDeviceIdentifier']);
    expect(other.WiFiMAC).not.toBe(answers.WiFiMAC);
    expect(other.IMEI).not.toBe(answers.IMEI);
    expect(await ask(sim, ['WiFiMAC', 'IMEI'])).toEqual({ WiFiMAC: answers.WiFiMAC, IMEI: answers.IMEI });
  });

  it('answers only what was asked, leaving out unknown queries as iOS does', async () => {
    const sim = device();
    expect(await ask(sim, ['OSVersion', 'NoSuchQuery', 'HostName', 'IsSupervised'])).toEqual({ OSVersion: '17.5', IsSupervised: false });
    expect(await ask(sim, [])).toEqual({});
  });

  it('leaves out what this device does not answer: supervised-only, newer than its iOS, no modem', async () => {
    const unsupervised = await ask(device({ isSupervised: false }), allQueries());
    expect(unsupervised).not.toHaveProperty('AccessibilitySettings');
    expect(await ask(device({ isSupervised: true }), ['AccessibilitySettings'])).toHaveProperty('AccessibilitySettings.VoiceOverEnabled', false);

    const old = await ask(device({ osVersion: '14.8' }), allQueries());
    expect(old).toHaveProperty('TimeZone');
    for (const newer of ['ModelNumber', 'SoftwareUpdateDeviceID', 'SupplementalBuildVersion']) expect(old).not.toHaveProperty(newer);

    const ipad = await ask(device({ productName: 'iPad13,18' }), allQueries());
    expect(ipad).toMatchObject({ ModelName: 'iPad', ProductName: 'iPad13,18', CellularTechnology: 0, DeviceName: 'Simulated iPad' });
    for (const modem of ['IMEI', 'MEID', 'ICCID', 'PhoneNumber', 'ServiceSubscriptions', 'DataRoamingEnabled']) expect(ipad).not.toHaveProperty(modem);
  });

  it('lets deviceInformation overrides answer by query name, extra queries included', async () => {
    const sim = device({ deviceInformation: { OSVersion: '18.0', HostName: 'fruit.example.com' } });
    expect(await ask(sim, ['OSVersion', 'HostName', 'UDID'])).toEqual({ OSVersion: '18.0', HostName: 'fruit.example.com', UDID: sim.udid });
  });

  it('refuses Queries that is not an array of names with CommandFormatError', async () => {
    const outcome = await device().outcomeFor({ requestType: 'DeviceInformation', command: { RequestType: 'DeviceInformation', Queries: 'OSVersion' } });
    expect(outcome).toEqual({ status: 'CommandFormatError' });
  });
});

withSchema('DeviceInformation against Apple\'s schema (information.device.yaml)', () => {
  interface YamlKey { key: string; type?: string; supportedOS?: { iOS?: { introduced?: string | number; removed?: string | number; supervised?: boolean; sharedipad?: { mode?: string } } }; subkeys?: YamlKey[] }
  const doc = parseYaml(fs.readFileSync(SCHEMA, 'utf8')) as { payloadkeys: YamlKey[]; responsekeys: YamlKey[] };
  const queries = doc.payloadkeys[0].subkeys?.[0].subkeys ?? [];
  const responseTypes = new Map((doc.responsekeys[0].subkeys ?? []).map((k) => [k.key, k.type]));

  /** What Apple says a supervised, single-user, cellular iPhone on iOS 17.5 answers on the device channel. */
  const expected = queries
    .filter((q) => {
      const ios = q.supportedOS?.iOS;
      if (ios?.introduced === 'n/a' || ios?.sharedipad?.mode === 'required') return false;
      if (ios?.introduced !== undefined && compareOsVersions('17.5', String(ios.introduced)) < 0) return false;
      return !(ios?.removed !== undefined && compareOsVersions('17.5', String(ios.removed)) >= 0);
    })
    .map((q) => q.key)
    .filter((key) => !NEVER_ANSWERED.includes(key));

  it('answers every iOS query Apple lists for this device, and nothing else', async () => {
    const answers = await ask(device({ isSupervised: true, osVersion: '17.5' }), queries.map((q) => q.key));
    expect(Object.keys(answers).sort()).toEqual([...expected].sort());
  });

  it('answers each query with the type Apple gives for it', async () => {
    const answers = await ask(device({ isSupervised: true }), allQueries());
    for (const [key, value] of Object.entries(answers)) {
      expect({ key, type: plistType(value) }).toEqual({ key, type: responseTypes.get(key) });
    }
  });
});

function plistType(value: PlistValue): string {
  if (typeof value === 'string') return '<string>';
  if (typeof value === 'boolean') return '<boolean>';
  if (typeof value === 'number') return Number.isInteger(value) ? '<integer>' : '<real>';
  if (value instanceof Date) return '<date>';
  if (Buffer.isBuffer(value)) return '<data>';
  return Array.isArray(value) ? '<array>' : '<dictionary>';
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
