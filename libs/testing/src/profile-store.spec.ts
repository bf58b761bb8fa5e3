import { buildPlist, parseReport, parsePlistDict, type PlistDict, type PlistValue } from '@mdm/protocol';
import { parseCertificatePem, signAttached } from '@mdm/pki';
import { createDeviceIdentity, DeviceSimulator, readEnrollmentProfile, type DeviceIdentity, type ReceivedCommand } from './device-simulator';
import { startRecorder } from './http-recorder';
import { createTestDeviceCa } from './test-pki';

/** RSA key generation in the hooks is slow on a loaded machine. */
const KEYGEN_TIMEOUT_MS = 60_000;

/** A Configuration profile as the profile service writes it. */
function configuration(identifier: string, payloads: PlistDict[], extra: PlistDict = {}): PlistDict {
  return {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: `uuid-${identifier}`,
    PayloadDisplayName: `Profile ${identifier}`,
    PayloadContent: payloads.map((p, i) => ({
      PayloadVersion: 1,
      PayloadIdentifier: `${identifier}.p${i}`,
      PayloadUUID: `uuid-${identifier}.p${i}`,
      ...p,
    })),
    ...extra,
  };
}

function command(requestType: string, fields: PlistDict = {}, uuid = `cmd-${requestType}`): ReceivedCommand {
  const cmd: PlistDict = { RequestType: requestType, ...fields };
  return { commandUuid: uuid, requestType, command: cmd, raw: { CommandUUID: uuid, Command: cmd } };
}

function dicts(value: PlistValue | undefined): PlistDict[] {
  if (!Array.isArray(value)) throw new Error('expected an array');
  return value.map((v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v instanceof Date) throw new Error('expected dicts');
    return v;
  });
}

const passcode = { PayloadType: 'com.apple.mobiledevice.passwordpolicy', forcePIN: true, allowSimple: false, minLength: 6 };
const restrictions = { PayloadType: 'com.apple.applicationaccess', allowCamera: false, PayloadDisplayName: 'Restrictions' };

describe('DeviceSimulator profiles', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let signer: DeviceIdentity;
  let sim: DeviceSimulator;

  beforeAll(async () => {
    recorder = await startRecorder();
    signer = await createTestDeviceCa({ commonName: 'Profile Signer' });
  }, KEYGEN_TIMEOUT_MS);
  afterAll(() => recorder.close());
  beforeEach(async () => {
    recorder.requests.length = 0;
    sim = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity: await createDeviceIdentity(signer) });
  }, KEYGEN_TIMEOUT_MS);

  /** Answers the command and returns the report the simulator sent. */
  async function run(cmd: ReceivedCommand, on: DeviceSimulator = sim) {
    await on.answer(cmd);
    const sent = recorder.requests.at(-1);
    if (!sent) throw new Error('nothing sent');
    return parseReport(sent.body);
  }

  it('installs a plain XML profile and keeps its payloads and settings', async () => {
    const xml = buildPlist(configuration('com.example.passcode', [passcode], { PayloadRemovalDisallowed: true }));
    const report = await run(command('InstallProfile', { Payload: Buffer.from(xml) }));
    expect(report.status).toBe('Acknowledged');
    expect(report.commandUuid).toBe('cmd-InstallProfile');
    const installed = sim.installedProfiles.get('com.example.passcode');
    expect(installed).toMatchObject({
      uuid: 'uuid-com.example.passcode',
      displayName: 'Profile com.example.passcode',
      removalDisallowed: true,
      enrollment: false,
      payloads: [{ type: 'com.apple.mobiledevice.passwordpolicy', identifier: 'com.example.passcode.p0', settings: { forcePIN: true, allowSimple: false, minLength: 6 } }],
    });
    expect(installed?.payloads[0].settings).not.toHaveProperty('PayloadUUID');
    expect(installed?.signerCertificates).toBeUndefined();
  });

  it('installs a signed (CMS) profile and lists its signer certificate', async () => {
    const signed = await signAttached(Buffer.from(buildPlist(configuration('com.example.signed', [restrictions]))), signer);
    expect((await run(command('InstallProfile', { Payload: signed }))).status).toBe('Acknowledged');
    const installed = sim.installedProfiles.get('com.example.signed');
    expect(installed?.payloads.map((p) => p.settings)).toEqual([{ allowCamera: false }]);
    expect(installed?.signerCertificates?.[0].equals(parseCertificatePem(signer.certPem).raw)).toBe(true);

    const list = dicts((await run(command('ProfileList'))).body.ProfileList);
    const certs = list[0].SignerCertificates;
    expect(Array.isArray(certs) && Buffer.isBuffer(certs[0]) && certs[0].equals(parseCertificatePem(signer.certPem).raw)).toBe(true);
  });

  it('replaces a profile with the same PayloadIdentifier instead of adding one', async () => {
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.r', [{ ...restrictions, allowCamera: true }]))) }));
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.other', [passcode]))) }));
    const v2 = configuration('com.example.r', [{ ...restrictions, allowCamera: false }], { PayloadUUID: 'uuid-v2' });
    expect((await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(v2)) }))).status).toBe('Acknowledged');
    expect([...sim.installedProfiles.keys()].sort()).toEqual(['com.example.other', 'com.example.r']);
    expect(sim.installedProfiles.get('com.example.r')).toMatchObject({ uuid: 'uuid-v2', payloads: [{ settings: { allowCamera: false } }] });
  });

  it('removes a profile, even one whose removal is disallowed for the user, and errors on one not installed', async () => {
    const locked = configuration('com.example.locked', [passcode], { PayloadRemovalDisallowed: true });
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(locked)) }));
    const removed = await run(command('RemoveProfile', { Identifier: 'com.example.locked' }));
    expect(removed.status).toBe('Acknowledged');
    expect(sim.installedProfiles.size).toBe(0);

    const missing = await run(command('RemoveProfile', { Identifier: 'com.example.locked' }, 'cmd-again'));
    expect(missing.status).toBe('Error');
    expect(missing.commandUuid).toBe('cmd-again');
    expect(missing.errorChain).toEqual([
      expect.objectContaining({ ErrorCode: 12075, ErrorDomain: 'MDMErrorDomain', LocalizedDescription: 'The profile \u201ccom.example.locked\u201d is not installed.' }),
    ]);
  });

  it('answers ProfileList with the keys of profile.list.yaml', async () => {
    const profile = configuration('com.example.list', [passcode, restrictions], { PayloadDescription: 'd', PayloadOrganization: 'Example' });
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(profile)) }));
    const report = await run(command('ProfileList'));
    expect(report.status).toBe('Acknowledged');
    expect(dicts(report.body.ProfileList)).toEqual([
      {
        PayloadIdentifier: 'com.example.list',
        PayloadUUID: 'uuid-com.example.list',
        PayloadVersion: 1,
        PayloadDisplayName: 'Profile com.example.list',
        PayloadDescription: 'd',
        PayloadOrganization: 'Example',
        PayloadRemovalDisallowed: false,
        HasRemovalPasscode: false,
        IsEncrypted: false,
        IsManaged: true,
        PayloadContent: [
          { PayloadType: 'com.apple.mobiledevice.passwordpolicy', PayloadIdentifier: 'com.example.list.p0', PayloadUUID: 'uuid-com.example.list.p0', PayloadVersion: 1 },
          {
            PayloadType: 'com.apple.applicationaccess',
            PayloadIdentifier: 'com.example.list.p1',
            PayloadUUID: 'uuid-com.example.list.p1',
            PayloadVersion: 1,
            PayloadDisplayName: 'Restrictions',
          },
        ],
      },
    ]);
  });

  it('leaves out payload UUIDs before iOS 17 and IsManaged on supervised devices, as iOS does', async () => {
    const old = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity: sim.identity, osVersion: '16.7', isSupervised: true });
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.old', [passcode]))) }), old);
    const [item] = dicts((await run(command('ProfileList'), old)).body.ProfileList);
    expect(item).not.toHaveProperty('IsManaged');
    expect(dicts(item.PayloadContent)[0]).not.toHaveProperty('PayloadUUID');
  });

  it('refuses what is not a profile with an MC error chain and installs nothing', async () => {
    const cases: Array<[Buffer, number]> = [
      [Buffer.from('not a plist'), 1000],
      [Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), 1000], // DER, but no SignedData
      [Buffer.from(buildPlist({ PayloadType: 'Configuration', PayloadUUID: 'u' })), 1002],
      [Buffer.from(buildPlist(configuration('com.example.bad', [{ PayloadIdentifier: 7 }]))), 1002],
    ];
    for (const [payload, code] of cases) {
      const report = await run(command('InstallProfile', { Payload: payload }));
      expect(report.status).toBe('Error');
      expect(report.errorChain?.[0]).toMatchObject({ ErrorDomain: 'MCInstallationErrorDomain', ErrorCode: 4000 });
      expect(report.errorChain?.at(-1)).toMatchObject({ ErrorDomain: 'MCProfileErrorDomain', ErrorCode: code });
    }
    expect(sim.installedProfiles.size).toBe(0);
    // A Payload that is not <data> is a malformed command, not a bad profile.
    expect((await run(command('InstallProfile', { Payload: 'text' }))).status).toBe('CommandFormatError');
  });

  it('refuses supervised-only payloads on an unsupervised device and installs them on a supervised one', async () => {
    const lock = configuration('com.example.lock', [{ PayloadType: 'com.apple.app.lock', App: { Identifier: 'com.example.app' } }]);
    const refused = await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(lock)) }));
    expect(refused.status).toBe('Error');
    expect(refused.errorChain?.map((e) => [e.ErrorDomain, e.ErrorCode])).toEqual([
      ['MCInstallationErrorDomain', 4001],
      ['MCInstallationErrorDomain', 4001],
    ]);
    expect(refused.errorChain?.[1].LocalizedDescription).toContain('supervised');
    expect(sim.installedProfiles.has('com.example.lock')).toBe(false);

    const supervised = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity: sim.identity, isSupervised: true });
    expect((await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(lock)) }), supervised)).status).toBe('Acknowledged');
    expect(supervised.installedProfiles.has('com.example.lock')).toBe(true);
  });

  it('refuses what refuseProfiles says with its ErrorChain, keeping the installed version', async () => {
    const chain = [{ ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: 'Profile Installation Failed', USEnglishDescription: 'Profile Installation Failed' }];
    let refuse = false;
    const picky = new DeviceSimulator({
      baseUrl: recorder.baseUrl,
      identity: sim.identity,
      refuseProfiles: (identifier, profile) => (refuse && identifier === 'com.example.wifi' && profile.PayloadUUID === 'uuid-v2' ? chain : undefined),
    });
    await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.wifi', [restrictions]))) }), picky);
    refuse = true;
    const v2 = configuration('com.example.wifi', [restrictions], { PayloadUUID: 'uuid-v2' });
    const report = await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(v2)) }), picky);
    expect(report.status).toBe('Error');
    expect(report.errorChain).toEqual(chain);
    expect(picky.installedProfiles.get('com.example.wifi')?.uuid).toBe('uuid-com.example.wifi');
  });

  describe('enrolled from a profile', () => {
    const enrollment = configuration('com.example.mdm', [
      { PayloadType: 'com.apple.security.scep', PayloadUUID: 'scep-uuid', PayloadContent: { URL: 'https://mdm.example.com/scep', Challenge: 'c' } },
      {
        PayloadType: 'com.apple.mdm',
        ServerURL: 'https://mdm.example.com/mdm/connect',
        Topic: 'com.apple.mgmt.External.test',
        IdentityCertificateUUID: 'scep-uuid',
        AccessRights: 8191,
        SignMessage: true,
      },
    ]);
    let enrolled: DeviceSimulator;
    beforeEach(async () => {
      const info = await readEnrollmentProfile(await signAttached(Buffer.from(buildPlist(enrollment)), signer));
      enrolled = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity: sim.identity, enrollmentProfile: info });
      await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.passcode', [passcode]))) }), enrolled);
    });

    it('lists the enrollment profile first, signed, with its MDM payload', async () => {
      const list = dicts((await run(command('ProfileList'), enrolled)).body.ProfileList);
      expect(list.map((p) => p.PayloadIdentifier)).toEqual(['com.example.mdm', 'com.example.passcode']);
      expect(dicts(list[0].PayloadContent).map((p) => p.PayloadType)).toEqual(['com.apple.security.scep', 'com.apple.mdm']);
      expect(Array.isArray(list[0].SignerCertificates)).toBe(true);
      expect(enrolled.installedProfiles.get('com.example.mdm')?.enrollment).toBe(true);
    });

    it('refuses a second MDM payload and a profile reusing the enrollment identifier', async () => {
      const other = await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.other.mdm', [{ PayloadType: 'com.apple.mdm' }]))) }), enrolled);
      expect(other.status).toBe('Error');
      const clash = await run(command('InstallProfile', { Payload: Buffer.from(buildPlist(configuration('com.example.mdm', [passcode]))) }), enrolled);
      expect(clash.status).toBe('Error');
      expect(enrolled.installedProfiles.get('com.example.mdm')?.enrollment).toBe(true);
    });

    it('checkOut clears every profile, the enrollment profile included', async () => {
      expect(enrolled.installedProfiles.size).toBe(2);
      await enrolled.checkOut();
      expect(enrolled.installedProfiles.size).toBe(0);
      expect(parsePlistDict(recorder.requests.at(-1)?.body ?? '')).toMatchObject({ MessageType: 'CheckOut' });
    });

    it('RemoveProfile of the enrollment profile unenrolls: every managed profile goes with it', async () => {
      expect((await run(command('RemoveProfile', { Identifier: 'com.example.mdm' }), enrolled)).status).toBe('Acknowledged');
      expect(enrolled.installedProfiles.size).toBe(0);
    });
  });
});
