import { connectSession, eventually, type DeviceSimulator } from '@mdm/testing';
import { TestSystem } from './system';

jest.setTimeout(180_000);

const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';
const RESTRICTIONS = 'com.apple.applicationaccess';

interface DeviceProfile {
  profileId: string;
  identifier: string;
  status: string;
  reason: string | null;
  installedVersion: number | null;
  desiredVersion: number | null;
  errorChain: Array<Record<string, unknown>> | null;
  conflicts: Array<{ payloadType: string; with: Array<{ identifier: string }> }> | null;
}

/**
 * Desired state end to end: profiles assigned to devices and groups reach simulated iPhones through
 * InstallProfile, are confirmed by ProfileList, are reinstalled on change, removed when unassigned, and
 * held back (blocked, conflicts) where iOS would refuse them.
 */
describe('profile assignment and reconciliation', () => {
  let system: TestSystem;
  let topic: string;
  let n = 0;

  beforeAll(async () => {
    system = await TestSystem.start({ PROFILE_FEED_INTERVAL_MS: '100', PROFILE_SUBMIT_INTERVAL_MS: '200' });
    topic = await system.uploadPushCertificate();
  });

  afterAll(async () => {
    await system?.close('e2e-profile-assignments-services.log');
  });

  /** An enrolled device that has answered its inventory (DeviceInformation, ProfileList). */
  const device = async (opts: Parameters<TestSystem['enrolledDevice']>[1] = {}): Promise<DeviceSimulator> => {
    const d = await system.enrolledDevice(topic, opts);
    await eventually(async () => {
      await connectSession(d);
      const info = await system.api('GET', `/v1/devices/${d.udid}`);
      if (info.json.osVersion === null || info.json.supervised === null) throw new Error('inventory not in yet');
    }, { timeoutMs: 20_000, intervalMs: 200, message: 'device inventory' });
    return d;
  };


  const profilesOf = async (d: DeviceSimulator): Promise<{ profiles: DeviceProfile[]; effective: Array<{ payloadType: string; keys: Array<{ key: string; value: unknown; decidedBy: { identifier: string } }> }> }> =>
    (await system.api('GET', `/v1/devices/${d.udid}/profiles`)).json;

  /** Plays the device until its profile for `identifier` satisfies `check`. */
  const until = async (d: DeviceSimulator, identifier: string, check: (p: DeviceProfile | undefined) => boolean, what: string): Promise<DeviceProfile | undefined> =>
    eventually(async () => {
      await connectSession(d);
      const p = (await profilesOf(d)).profiles.find((x) => x.identifier === identifier);
      if (!check(p)) throw new Error(`${identifier}: ${JSON.stringify(p)}`);
      return p;
    }, { timeoutMs: 30_000, intervalMs: 200, message: what });

  const create = async (payloads: Array<{ type: string; settings: Record<string, unknown> }>, extra: Record<string, unknown> = {}): Promise<{ id: string; identifier: string }> => {
    const identifier = `com.example.e2e.${++n}`;
    const res = await system.api('POST', '/v1/profiles', { name: `Profile ${n}`, identifier, payloads, ...extra });
    expect(res.status).toBe(201);
    return { id: res.json.id, identifier };
  };

  const assign = async (profileId: string, body: { udids?: string[]; groupIds?: string[] }, method = 'POST'): Promise<void> => {
    const res = await system.api(method, `/v1/profiles/${profileId}/assignments`, body);
    expect(res.status).toBe(200);
  };

  const eventsOf = async (d: DeviceSimulator, prefix: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> =>
    (await system.events(`udid=${d.udid}`)).filter((e) => e.type.startsWith(prefix));

  it('installs the acceptance profile, confirms it by ProfileList, and reinstalls it when minLength changes', async () => {
    const d = await device();
    const passcode = { forcePIN: true, allowSimple: false, minLength: 6, requireAlphanumeric: false };
    const p = await create([{ type: PASSCODE, settings: passcode }], { removalDisallowed: true });
    await assign(p.id, { udids: [d.udid] });

    const installed = await until(d, p.identifier, (x) => x?.status === 'installed', 'installed after ProfileList');
    expect(installed).toMatchObject({ installedVersion: 1, desiredVersion: 1, reason: null });
    const held = d.installedProfiles.get(p.identifier);
    expect(held?.removalDisallowed).toBe(true);
    expect(held?.payloads.find((x) => x.type === PASSCODE)?.settings).toMatchObject(passcode);

    const changed = await system.api('PUT', `/v1/profiles/${p.id}`, {
      name: 'Profile changed',
      identifier: p.identifier,
      removalDisallowed: true,
      payloads: [{ type: PASSCODE, settings: { ...passcode, minLength: 8 } }],
    });
    expect(changed.json.version).toBe(2);
    await until(d, p.identifier, (x) => x?.status === 'installed' && x.installedVersion === 2, 'reinstalled at version 2');
    expect(d.installedProfiles.get(p.identifier)?.payloads.find((x) => x.type === PASSCODE)?.settings).toMatchObject({ minLength: 8 });
    const installs = (await eventsOf(d, 'profile.')).filter((e) => e.type === 'profile.installed' && e.data['identifier'] === p.identifier);
    expect(installs.map((e) => e.data['version'])).toEqual([1, 2]);

    const status = await system.api('GET', `/v1/profiles/${p.id}/devices?status=installed`);
    expect(status.json.devices.map((x: { udid: string }) => x.udid)).toEqual([d.udid]);
  });

  it('removes a profile with RemoveProfile when its assignment is removed', async () => {
    const d = await device();
    const p = await create([{ type: 'com.apple.domains', settings: { WebDomains: ['example.com'] } }]);
    await assign(p.id, { udids: [d.udid] });
    await until(d, p.identifier, (x) => x?.status === 'installed', 'installed');
    await assign(p.id, { udids: [d.udid] }, 'DELETE');
    await until(d, p.identifier, (x) => x?.status === 'removed', 'removed');
    expect(d.installedProfiles.has(p.identifier)).toBe(false);
    const removed = (await eventsOf(d, 'profile.removed')).map((e) => e.data);
    expect(removed).toEqual([expect.objectContaining({ identifier: p.identifier, cause: 'unassigned' })]);
  });

  it('never sends a supervised-only payload to an unsupervised device, nor a payload newer than its iOS', async () => {
    const d = await device({ isSupervised: false, osVersion: '16.7' });
    const kiosk = await create([{ type: 'com.apple.app.lock', settings: { App: { Identifier: 'com.example.kiosk' } } }]);
    const ethernet = await create([{ type: 'com.apple.globalethernet.managed', settings: {} }]);
    await assign(kiosk.id, { udids: [d.udid] });
    await assign(ethernet.id, { udids: [d.udid] });
    const blocked = await until(d, kiosk.identifier, (x) => x?.status === 'blocked', 'blocked for supervision');
    expect(blocked?.reason).toMatch(/supervis/);
    const tooNew = await until(d, ethernet.identifier, (x) => x?.status === 'blocked', 'blocked for iOS version');
    expect(tooNew?.reason).toMatch(/17\.0/);
    expect(await connectSession(d)).toEqual([]);
    expect(d.installedProfiles.has(kiosk.identifier) || d.installedProfiles.has(ethernet.identifier)).toBe(false);
  });

  it('reports a payload type a device holds once, in two profiles, as a conflict on both', async () => {
    const d = await device();
    const first = await create([{ type: 'com.apple.domains', settings: { EmailDomains: ['one.example'] } }]);
    const second = await create([{ type: 'com.apple.domains', settings: { EmailDomains: ['two.example'] } }]);
    await assign(first.id, { udids: [d.udid] });
    await assign(second.id, { udids: [d.udid] });
    await until(d, first.identifier, (x) => x?.status === 'installed', 'first installed');
    const loser = await until(d, second.identifier, (x) => x?.status === 'blocked', 'second blocked');
    expect(loser?.reason).toContain(first.identifier);
    const winner = (await profilesOf(d)).profiles.find((x) => x.identifier === first.identifier);
    expect(winner?.conflicts).toEqual([expect.objectContaining({ payloadType: 'com.apple.domains', with: [expect.objectContaining({ identifier: second.identifier })] })]);
    expect(loser?.conflicts).toEqual([expect.objectContaining({ payloadType: 'com.apple.domains', with: [expect.objectContaining({ identifier: first.identifier })] })]);
    const conflicts = await eventsOf(d, 'profile.conflict');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.data).toMatchObject({ payloadType: 'com.apple.domains' });
  });

  it('computes the effective restrictions of three overlapping profiles and names the profile that decided each key', async () => {
    const d = await device();
    const a = await create([{ type: RESTRICTIONS, settings: { allowCamera: true, ratingApps: 1000, forceEncryptedBackup: false } }]);
    const b = await create([{ type: RESTRICTIONS, settings: { allowCamera: false, ratingApps: 600 } }]);
    const c = await create([{ type: RESTRICTIONS, settings: { ratingApps: 300, forceEncryptedBackup: true, allowSafari: true } }]);
    for (const p of [a, b, c]) await assign(p.id, { udids: [d.udid] });
    for (const p of [a, b, c]) await until(d, p.identifier, (x) => x?.status === 'installed', `${p.identifier} installed`);
    const restrictions = (await profilesOf(d)).effective.find((e) => e.payloadType === RESTRICTIONS);
    const key = (k: string) => restrictions?.keys.find((x) => x.key === k);
    expect(key('allowCamera')).toMatchObject({ value: false, decidedBy: { identifier: b.identifier } });
    expect(key('ratingApps')).toMatchObject({ value: 300, decidedBy: { identifier: c.identifier } });
    expect(key('forceEncryptedBackup')).toMatchObject({ value: true, decidedBy: { identifier: c.identifier } });
    expect(key('allowSafari')).toMatchObject({ value: true });
  });

  it('shows a refused install as failed with Apple\'s error chain, and tries again only for a new version', async () => {
    const d = await device({
      refuseProfiles: (identifier) =>
        identifier.endsWith('.refused')
          ? [{ ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: 'The profile could not be installed.', USEnglishDescription: 'The profile could not be installed.' }]
          : undefined,
    });
    const res = await system.api('POST', '/v1/profiles', { name: 'Refused', identifier: `com.example.e2e.${++n}.refused`, payloads: [{ type: 'com.apple.domains', settings: { WebDomains: ['x.example'] } }] });
    expect(res.status).toBe(201);
    await assign(res.json.id, { udids: [d.udid] });
    const failed = await until(d, res.json.identifier, (x) => x?.status === 'failed', 'failed');
    expect(failed?.errorChain?.[0]).toMatchObject({ ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain' });
    expect(failed?.reason).toContain('The profile could not be installed.');
    expect(await connectSession(d)).toEqual([]);
    const events = await eventsOf(d, 'profile.failed');
    expect(events.map((e) => e.data['identifier'])).toEqual([res.json.identifier]);
  });

  it('targets static and dynamic groups, and follows a device out of the group', async () => {
    const supervised = await device({ isSupervised: true });
    const plain = await device({ isSupervised: false });
    const p = await create([{ type: RESTRICTIONS, settings: { allowCamera: false } }]);
    const q = await create([{ type: 'com.apple.domains', settings: { WebDomains: ['group.example'] } }]);
    const dynamic = await system.api('POST', '/v1/device-groups', { name: 'supervised', rule: { supervised: true } });
    expect(dynamic.status).toBe(201);
    expect(dynamic.json.devices).toBeGreaterThanOrEqual(1);
    const fixed = await system.api('POST', '/v1/device-groups', { name: 'pilot', udids: [plain.udid] });
    expect(fixed.status).toBe(201);
    await assign(p.id, { groupIds: [dynamic.json.id] });
    await assign(q.id, { groupIds: [fixed.json.id] });
    await until(supervised, p.identifier, (x) => x?.status === 'installed', 'dynamic group member installed');
    await until(plain, q.identifier, (x) => x?.status === 'installed', 'static group member installed');
    expect((await profilesOf(plain)).profiles.some((x) => x.identifier === p.identifier)).toBe(false);

    const out = await system.api('DELETE', `/v1/device-groups/${fixed.json.id}/members`, { udids: [plain.udid] });
    expect(out.json.udids).toEqual([]);
    await until(plain, q.identifier, (x) => x?.status === 'removed', 'removed after leaving the group');
    expect((await system.api('POST', `/v1/device-groups/${dynamic.json.id}/members`, { udids: [plain.udid] })).status).toBe(409);
    expect((await system.api('POST', '/v1/device-groups', { name: 'bad', rule: { minOsVersion: 'seventeen' } })).status).toBe(400);
    expect((await system.api('POST', `/v1/profiles/${p.id}/assignments`, { groupIds: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(404);
  });

  it('clears what a device held when it checks out, and installs it all again when it enrolls again', async () => {
    const d = await device();
    const p = await create([{ type: 'com.apple.domains', settings: { WebDomains: ['again.example'] } }]);
    await assign(p.id, { udids: [d.udid] });
    await until(d, p.identifier, (x) => x?.status === 'installed', 'installed');

    expect((await d.checkOut()).status).toBe(200);
    expect(d.installedProfiles.size).toBe(0);
    await eventually(async () => {
      const row = (await profilesOf(d)).profiles.find((x) => x.identifier === p.identifier);
      if (row?.status !== 'pending' || row.installedVersion !== null) throw new Error(JSON.stringify(row));
    }, { timeoutMs: 15_000, intervalMs: 200, message: 'cleared on check-out' });
    expect((await eventsOf(d, 'profile.removed')).map((e) => e.data['cause'])).toEqual(['checked-out']);

    expect((await d.authenticate()).status).toBe(200);
    expect((await d.tokenUpdate()).status).toBe(200);
    await until(d, p.identifier, (x) => x?.status === 'installed', 'installed again after re-enrollment');
    expect(d.installedProfiles.has(p.identifier)).toBe(true);
  });
});
