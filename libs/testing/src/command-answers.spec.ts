import { X509Certificate } from 'node:crypto';
import { buildPlist, commandApplicability, commandSpec, isPlistDict, REQUEST_TYPES, type PlistDict, type PlistValue } from '@mdm/protocol';
import { createCertificateAuthority, signAttached } from '@mdm/pki';
import {
  COMMANDS_NEVER_NOT_NOW,
  createDeviceIdentity,
  DeviceSimulator,
  type CommandOutcome,
  type DeviceIdentity,
  type DeviceSimulatorOptions,
} from './device-simulator';
import { createTestDeviceCa } from './test-pki';

/** RSA key generation in the hooks is slow on a loaded machine. */
const KEYGEN_TIMEOUT_MS = 60_000;

let identity: DeviceIdentity;
let ca: DeviceIdentity;
beforeAll(async () => {
  ca = await createTestDeviceCa();
  identity = await createDeviceIdentity(ca, { commonName: 'device-identity-cn' });
}, KEYGEN_TIMEOUT_MS);

function device(opts: Partial<DeviceSimulatorOptions> = {}): DeviceSimulator {
  return new DeviceSimulator({ baseUrl: 'http://127.0.0.1:9', identity, ...opts });
}

function run(sim: DeviceSimulator, requestType: string, fields: PlistDict = {}): Promise<CommandOutcome> {
  return sim.outcomeFor({ requestType, command: { RequestType: requestType, ...fields } });
}

async function response(sim: DeviceSimulator, requestType: string, fields: PlistDict = {}): Promise<PlistDict> {
  const outcome = await run(sim, requestType, fields);
  if (outcome.status !== 'Acknowledged') throw new Error(`${requestType} answered ${JSON.stringify(outcome)}`);
  return outcome.response ?? {};
}

function list(value: PlistValue | undefined): PlistDict[] {
  if (!Array.isArray(value)) throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  return value.filter(isPlistDict);
}

const invalidRequestType = (requestType: string): CommandOutcome => ({
  status: 'Error',
  errorChain: [
    {
      ErrorCode: 12021,
      ErrorDomain: 'MCMDMErrorDomain',
      LocalizedDescription: `\u201c${requestType}\u201d is not a valid request type.`,
      USEnglishDescription: `\u201c${requestType}\u201d is not a valid request type.`,
    },
  ],
});

function profile(identifier: string, payloads: PlistDict[]): Buffer {
  return Buffer.from(
    buildPlist({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: identifier,
      PayloadUUID: `uuid-${identifier}`,
      PayloadContent: payloads.map((p, i) => ({ PayloadVersion: 1, PayloadIdentifier: `${identifier}.p${i}`, PayloadUUID: `uuid-${identifier}.p${i}`, ...p })),
    }),
  );
}

describe('what the simulator cannot do: Error with the chain iOS gives', () => {
  it('answers an unknown RequestType, a macOS-only one, one newer than its iOS and a Shared iPad one with MCMDMErrorDomain 12021', async () => {
    expect(await run(device(), 'MakeCoffee')).toEqual(invalidRequestType('MakeCoffee'));
    expect(await run(device(), 'EnableRemoteDesktop')).toEqual(invalidRequestType('EnableRemoteDesktop'));
    expect(await run(device({ osVersion: '14.8' }), 'DeclarativeManagement')).toEqual(invalidRequestType('DeclarativeManagement'));
    expect(await run(device(), 'UserList')).toEqual(invalidRequestType('UserList'));
  });

  it('refuses every command the catalog marks supervised-only while unsupervised, and runs them once supervised', async () => {
    const supervisedOnly = REQUEST_TYPES.filter((t) => commandSpec(t)?.supervised === true);
    expect(supervisedOnly).toEqual(expect.arrayContaining(['RestartDevice', 'AvailableOSUpdates', 'EnableLostMode', 'DeviceConfigured']));
    const sim = device({ isSupervised: false });
    for (const requestType of supervisedOnly) expect(await run(sim, requestType)).toEqual(invalidRequestType(requestType));

    sim.setSupervised(true);
    for (const requestType of supervisedOnly) {
      const outcome = await run(sim, requestType);
      if (outcome.status === 'Error') expect(outcome.errorChain[0].ErrorCode).not.toBe(12021);
    }
    expect(await run(sim, 'RestartDevice')).toEqual({ status: 'Acknowledged' });
  });

  it('answers a command that breaks Apple\'s schema with CommandFormatError', async () => {
    expect(await run(device(), 'InstallProfile', { Payload: 'not data' })).toEqual({ status: 'CommandFormatError' });
    expect(await run(device(), 'RemoveProfile')).toEqual({ status: 'CommandFormatError' });
    expect(await run(device(), 'InstallMedia', { iTunesStoreID: 1 })).toEqual({ status: 'CommandFormatError' });
  });

  it('refuses a malformed profile with MCInstallationErrorDomain over MCProfileErrorDomain', async () => {
    const outcome = await run(device(), 'InstallProfile', { Payload: Buffer.from('<plist>not a profile') });
    expect(outcome).toMatchObject({ status: 'Error', errorChain: [{ ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4000 }, { ErrorDomain: 'MCProfileErrorDomain', ErrorCode: 1000 }] });
  });
});

describe('busy: NotNow for what iOS defers while locked', () => {
  it('defers every command but those Apple guarantees never to return NotNow, until it is no longer busy', async () => {
    const sim = device({ isSupervised: true, busy: true });
    expect(sim.isBusy).toBe(true);
    const runnable = REQUEST_TYPES.filter((t) => commandSpec(t)?.sharedIpad !== 'required' && commandApplicability(t, { supervised: true, osVersion: '17.5' }).ok);
    for (const requestType of runnable) {
      const outcome = await run(sim, requestType, requestType === 'DeviceInformation' ? { Queries: ['UDID'] } : {});
      if (COMMANDS_NEVER_NOT_NOW.has(requestType)) expect({ requestType, status: outcome.status }).not.toEqual({ requestType, status: 'NotNow' });
      else expect({ requestType, status: outcome.status }).toEqual({ requestType, status: 'NotNow' });
    }
    expect(sim.installedProfiles.size).toBe(0);
    sim.setBusy(false);
    expect(await run(sim, 'InstallProfile', { Payload: profile('com.example.after', []) })).toEqual({ status: 'Acknowledged' });
  });

  it('still refuses what it cannot run at all with Error, not NotNow', async () => {
    expect(await run(device({ busy: true }), 'MakeCoffee')).toEqual(invalidRequestType('MakeCoffee'));
  });
});

describe('state: what a command changes shows in later answers', () => {
  it('tracks InstallProfile and RemoveProfile in ProfileList', async () => {
    const sim = device();
    await run(sim, 'InstallProfile', { Payload: profile('com.example.a', []) });
    await run(sim, 'InstallProfile', { Payload: profile('com.example.b', []) });
    await run(sim, 'RemoveProfile', { Identifier: 'com.example.a' });
    expect(list((await response(sim, 'ProfileList')).ProfileList).map((p) => p.PayloadIdentifier)).toEqual(['com.example.b']);
    expect(await run(sim, 'RemoveProfile', { Identifier: 'com.example.a' })).toMatchObject({ status: 'Error', errorChain: [{ ErrorDomain: 'MDMErrorDomain', ErrorCode: 12075 }] });
  });

  it('renames the device with Settings when supervised; refuses the item (not the command) when not', async () => {
    const supervised = device({ isSupervised: true });
    const set = await response(supervised, 'Settings', { Settings: [{ Item: 'DeviceName', DeviceName: 'Front desk' }, { Item: 'OrganizationInfo', OrganizationInfo: { OrganizationName: 'Example' } }] });
    expect(set.Settings).toEqual([{ Status: 'Acknowledged' }, { Status: 'Acknowledged' }]);
    const info = await response(supervised, 'DeviceInformation', { Queries: ['DeviceName', 'OrganizationInfo'] });
    expect(info.QueryResponses).toEqual({ DeviceName: 'Front desk', OrganizationInfo: { OrganizationName: 'Example' } });

    const unsupervised = device({ isSupervised: false });
    const refused = await response(unsupervised, 'Settings', { Settings: [{ Item: 'DeviceName', DeviceName: 'Nope' }, { Item: 'DataRoaming', Enabled: true }, { Item: 'MaximumResidentUsers', MaximumResidentUsers: 4 }] });
    expect(refused.Settings).toEqual([
      { Status: 'Error', ErrorChain: [expect.objectContaining({ ErrorDomain: 'MCChaperoneErrorDomain', ErrorCode: 29000 })] },
      { Status: 'Acknowledged' },
      { Status: 'Error', ErrorChain: [expect.objectContaining({ ErrorDomain: 'MCSettingsErrorDomain', ErrorCode: 28000 })] },
    ]);
    expect((await response(unsupervised, 'DeviceInformation', { Queries: ['DeviceName', 'DataRoamingEnabled'] })).QueryResponses).toEqual({ DeviceName: 'Simulated iPhone', DataRoamingEnabled: true });
  });

  it('answers SecurityInfo from the passcode state and the installed passcode policy', async () => {
    const sim = device();
    expect((await response(sim, 'SecurityInfo')).SecurityInfo).toEqual({
      HardwareEncryptionCaps: 3,
      PasscodePresent: true,
      PasscodeCompliant: true,
      PasscodeCompliantWithProfiles: true,
      PasscodeLockGracePeriod: 0,
      PasscodeLockGracePeriodEnforced: 0,
      ManagementStatus: { IsUserEnrollment: false },
    });
    await run(sim, 'InstallProfile', { Payload: profile('com.example.passcode', [{ PayloadType: 'com.apple.mobiledevice.passwordpolicy', forcePIN: true }]) });
    await run(sim, 'ClearPasscode', { UnlockToken: Buffer.from('token') });
    expect((await response(sim, 'SecurityInfo')).SecurityInfo).toMatchObject({ PasscodePresent: false, PasscodeCompliant: false });
  });

  it('lists its identity and the certificates installed profiles carry in CertificateList', async () => {
    const sim = device();
    const root = await createCertificateAuthority({ commonName: 'Example Root', organization: 'Example', validityDays: 30 });
    const der = new X509Certificate(root.certPem).raw;
    await run(sim, 'InstallProfile', { Payload: profile('com.example.root', [{ PayloadType: 'com.apple.security.root', PayloadContent: der }]) });
    const certs = list((await response(sim, 'CertificateList')).CertificateList);
    expect(certs).toEqual([
      { CommonName: 'device-identity-cn', IsIdentity: true, Data: new X509Certificate(identity.certPem).raw },
      { CommonName: 'Example Root', IsIdentity: false, Data: der },
    ]);
  });

  it('installs and removes managed apps, as the app lists show', async () => {
    const sim = device();
    const before = list((await response(sim, 'InstalledApplicationList')).InstalledApplicationList);
    expect(before.map((a) => a.Identifier)).toEqual(['com.apple.Pages', 'com.microsoft.Office.Outlook']);
    expect(before[0]).toMatchObject({ Name: 'Pages', ShortVersion: '14.0', IsValidated: true, Installing: false, IsAppClip: false });
    expect(await response(sim, 'InstallApplication', { Identifier: 'com.example.app', ManagementFlags: 1, Configuration: { server: 'a' } })).toEqual({ Identifier: 'com.example.app', State: 'Managed' });
    expect(list((await response(sim, 'InstalledApplicationList', { ManagedAppsOnly: true, Items: ['Identifier', 'Name'] })).InstalledApplicationList)).toEqual([{ Identifier: 'com.example.app', Name: 'app' }]);
    expect((await response(sim, 'ManagedApplicationList')).ManagedApplicationList).toEqual({
      'com.example.app': { Status: 'Managed', ManagementFlags: 1, HasConfiguration: true, HasFeedback: false, IsValidated: true, ExternalVersionIdentifier: 0 },
    });
    expect((await response(sim, 'ManagedApplicationConfiguration', { Identifiers: ['com.example.app', 'com.apple.Pages'] })).ApplicationConfigurations).toEqual([{ Identifier: 'com.example.app', Configuration: { server: 'a' } }]);
    expect(await run(sim, 'RemoveApplication', { Identifier: 'com.apple.Pages' })).toMatchObject({ status: 'Error', errorChain: [{ ErrorDomain: 'MCMDMErrorDomain', ErrorCode: 12029 }] });
    expect(await run(sim, 'RemoveApplication', { Identifier: 'com.example.app' })).toEqual({ status: 'Acknowledged' });
    expect((await response(sim, 'ManagedApplicationList')).ManagedApplicationList).toEqual({});
  });

  it('combines restrictions payloads, the most restrictive winning, and lists them per profile when asked', async () => {
    const sim = device();
    await run(sim, 'InstallProfile', { Payload: profile('com.example.r1', [{ PayloadType: 'com.apple.applicationaccess', allowCamera: false, ratingApps: 600 }]) });
    await run(sim, 'InstallProfile', { Payload: profile('com.example.r2', [{ PayloadType: 'com.apple.applicationaccess', allowCamera: true, forceEncryptedBackup: true, ratingApps: 300 }]) });
    const answer = await response(sim, 'Restrictions', { ProfileRestrictions: true });
    expect(answer.GlobalRestrictions).toMatchObject({
      restrictedBool: { allowCamera: { value: false }, forceEncryptedBackup: { value: true } },
      restrictedValue: { ratingApps: { value: 300 } },
    });
    expect(Object.keys(answer.ProfileRestrictions as PlistDict)).toEqual(['com.example.r1', 'com.example.r2']);
    expect(await response(sim, 'Restrictions')).not.toHaveProperty('ProfileRestrictions');
  });

  it('installs and removes provisioning profiles (CMS-signed), refusing a bad one', async () => {
    const sim = device();
    const expiry = new Date('2027-06-01T00:00:00Z');
    const provisioning = await signAttached(Buffer.from(buildPlist({ Name: 'Example Dev', UUID: 'PP-1', ExpirationDate: expiry })), ca);
    expect(await run(sim, 'InstallProvisioningProfile', { ProvisioningProfile: provisioning })).toEqual({ status: 'Acknowledged' });
    expect((await response(sim, 'ProvisioningProfileList')).ProvisioningProfileList).toEqual([{ Name: 'Example Dev', UUID: 'PP-1', ExpiryDate: expiry }]);
    expect(await run(sim, 'InstallProvisioningProfile', { ProvisioningProfile: Buffer.from('junk') })).toMatchObject({ status: 'Error', errorChain: [{ ErrorCode: 25000 }] });
    expect(await run(sim, 'RemoveProvisioningProfile', { UUID: 'PP-1' })).toEqual({ status: 'Acknowledged' });
    expect(await run(sim, 'RemoveProvisioningProfile', { UUID: 'PP-1' })).toMatchObject({ status: 'Error', errorChain: [{ ErrorDomain: 'MCProvisioningProfileErrorDomain', ErrorCode: 25002 }] });
  });

  it('offers an OS update, schedules it, and reports its status (supervised)', async () => {
    const sim = device({ isSupervised: true, osVersion: '17.5' });
    const [update] = list((await response(sim, 'AvailableOSUpdates')).AvailableOSUpdates);
    expect(update).toMatchObject({ Version: '17.6', HumanReadableName: 'iOS 17.6', IsSecurityResponse: false, RestartRequired: true });
    expect(await response(sim, 'OSUpdateStatus')).toEqual({ OSUpdateStatus: [] });
    const scheduled = await response(sim, 'ScheduleOSUpdate', { Updates: [{ ProductKey: update.ProductKey as string, InstallAction: 'DownloadOnly' }, { ProductKey: 'nope', InstallAction: 'InstallASAP' }] });
    expect(scheduled.UpdateResults).toEqual([
      { ProductKey: update.ProductKey, InstallAction: 'DownloadOnly', Status: 'Downloading' },
      { ProductKey: 'nope', InstallAction: 'Error', Status: 'Idle', ErrorChain: [expect.objectContaining({ ErrorCode: 12048 })] },
    ]);
    expect(list((await response(sim, 'OSUpdateStatus')).OSUpdateStatus)).toEqual([{ ProductKey: update.ProductKey, IsDownloaded: false, DownloadPercentComplete: 0.25, Status: 'Downloading' }]);
  });

  it('locates the device only in lost mode, which DeviceInformation reports', async () => {
    const sim = device({ isSupervised: true });
    expect(await run(sim, 'DeviceLocation')).toMatchObject({ status: 'Error', errorChain: [{ ErrorDomain: 'MCMDMErrorDomain', ErrorCode: 12067 }] });
    expect(await run(sim, 'EnableLostMode', { Message: 'Lost' })).toEqual({ status: 'Acknowledged' });
    expect((await response(sim, 'DeviceInformation', { Queries: ['IsMDMLostModeEnabled'] })).QueryResponses).toEqual({ IsMDMLostModeEnabled: true });
    expect(await response(sim, 'DeviceLocation')).toMatchObject({ Latitude: 48.8584, Longitude: 2.2945, HorizontalAccuracy: 65 });
    expect(await run(sim, 'DisableLostMode')).toEqual({ status: 'Acknowledged' });
    expect(await run(sim, 'DisableLostMode')).toMatchObject({ status: 'Error', errorChain: [{ ErrorCode: 12067 }] });
  });

  it('finishes Setup Assistant with DeviceConfigured, and answers the other read-only queries', async () => {
    const sim = device({ isSupervised: true });
    sim.state.awaitingConfiguration = true;
    expect(await run(sim, 'DeviceConfigured')).toEqual({ status: 'Acknowledged' });
    expect((await response(sim, 'DeviceInformation', { Queries: ['AwaitingConfiguration'] })).QueryResponses).toEqual({ AwaitingConfiguration: false });
    expect(await response(sim, 'ManagedMediaList')).toEqual({ Books: [] });
    expect(String((await response(sim, 'ActivationLockBypassCode')).ActivationLockBypassCode)).toMatch(/^([0-9A-Z]{5}-){5}[0-9A-Z]{5}$/);
  });
});
