import { X509Certificate } from 'node:crypto';
import { connectSession, createTestDeviceCa, type DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

jest.setTimeout(240_000);

interface Item {
  query: string;
  group: string;
  type: string;
  value: unknown;
}


/** A line of a PEM's base64: present in any JSON that carries the raw certificate. */
const derLineOf = (pem: string): string => pem.split('\n')[1];

function valueOf(items: Item[], query: string): unknown {
  return items.find((i) => i.query === query)?.value;
}

/**
 * Inventory end to end: a simulated iPhone enrolls and reports every DeviceInformation query, SecurityInfo and
 * its certificates from its own state; what changes on it (a passcode set, a CA installed by a profile) shows
 * up in the history after a refresh on demand, and the schedule refreshes on its own, across a restart of the
 * command service.
 */
describe('device inventory', () => {
  describe('on demand', () => {
    let system: TestSystem;
    let topic: string;

    beforeAll(async () => {
      system = await TestSystem.start();
      topic = await system.uploadPushCertificate();
    });

    afterAll(async () => {
      await system?.close('e2e-inventory-services.log');
    });

    it('stores the full inventory at enrollment, refreshes on demand once at a time, and records what changed', async () => {
      const deviceInformation = { OSVersion: '17.5', SupplementalBuildVersion: '21F90', PersonalHotspotEnabled: false };
      const device = await system.enrolledDevice(topic, { deviceInformation });
      device.state.passcodePresent = false;
      const identityCn = /CN=([^\n]*)/.exec(new X509Certificate(device.identity.certPem).subject)?.[1];
      const inventoryPath = `/v1/devices/${device.udid}/inventory`;

      // The first inventory: every iOS query, SecurityInfo, CertificateList (and the profiles).
      const first = await eventually(async () => {
        const seen = await connectSession(device);
        if (!seen.includes('DeviceInformation')) throw new Error(`no inventory yet (${seen.join(', ')})`);
        return seen;
      }, { timeoutMs: 30_000, intervalMs: 200, message: 'first inventory' });
      expect(first).toEqual(['DeviceInformation', 'SecurityInfo', 'CertificateList', 'ProfileList']);

      const view = await system.api('GET', inventoryPath);
      expect(view.status).toBe(200);
      const items = view.json.deviceInformation as Item[];
      expect(valueOf(items, 'OSVersion')).toBe('17.5');
      expect(valueOf(items, 'SupplementalBuildVersion')).toBe('21F90');
      expect(items.find((i) => i.query === 'SerialNumber')).toMatchObject({ group: 'hardware', type: 'string', value: device.serialNumber });
      expect(items.find((i) => i.query === 'PersonalHotspotEnabled')).toMatchObject({ group: 'network', type: 'boolean' });
      expect(items.find((i) => i.query === 'IsSupervised')).toMatchObject({ group: 'security' });
      // The device holds only its MDM identity so far.
      expect(view.json).toMatchObject({
        securityInfo: { PasscodePresent: false, HardwareEncryptionCaps: 3 },
        certificates: [{ commonName: identityCn, subject: expect.stringContaining(`CN=${identityCn}`), isIdentity: true }],
        refreshSource: 'enrollment',
        refreshOpen: false,
      });
      expect(view.json.certificates).toHaveLength(1);
      expect(view.json.certificates[0].notAfter).toMatch(/^\d{4}-/);
      expect(JSON.stringify(view.json.certificates)).not.toContain(derLineOf(device.identity.certPem));
      // The baseline is not a change.
      expect((await system.api('GET', `${inventoryPath}/history`)).json).toEqual({ udid: device.udid, changes: [], next: null });

      // The operator installs a profile carrying a root CA; the device installs it, so it holds one more certificate.
      const root = await createTestDeviceCa({ commonName: 'Example Root' });
      const rootProfile = { name: 'Example Root', identifier: 'com.example.e2e.inventory-root' };
      const payload = { type: 'com.apple.security.root', settings: { PayloadContent: { $data: new X509Certificate(root.certPem).raw.toString('base64') } } };
      const created = await system.api('POST', '/v1/profiles', { ...rootProfile, payloads: [payload] });
      expect(created.status).toBe(201);
      expect((await system.api('POST', `/v1/profiles/${created.json.id}/assignments`, { udids: [device.udid] })).status).toBe(200);
      await eventually(async () => {
        await connectSession(device);
        const profiles = (await system.api('GET', `/v1/devices/${device.udid}/profiles`)).json.profiles as Array<{ identifier: string; status: string }>;
        const status = profiles.find((p) => p.identifier === rootProfile.identifier)?.status;
        if (status !== 'installed') throw new Error(`root CA profile: ${status}`);
      }, { timeoutMs: 30_000, intervalMs: 200, message: 'root CA profile installed' });
      // Inventory is not asked again on its own: the new certificate waits for the next refresh.
      expect((await system.api('GET', inventoryPath)).json.certificates).toHaveLength(1);

      // The device changes; the operator asks again, twice: the second waits for the first.
      deviceInformation.OSVersion = '18.1';
      device.state.passcodePresent = true;
      const pushes = (): number => system.apns.pushes.filter((p) => p.token === device.tokenHex).length;
      const pushesBefore = pushes();
      const refresh = await system.api('POST', `${inventoryPath}/refresh`);
      expect(refresh.status).toBe(202);
      expect(refresh.json).toMatchObject({ queued: [device.udid], skipped: [] });
      expect(refresh.json.commandUuids).toHaveLength(3);
      const again = await system.api('POST', '/v1/inventory/refresh', { udids: [device.udid] });
      expect(again.status).toBe(202);
      expect(again.json).toEqual({ queued: [], skipped: [{ udid: device.udid, reason: 'an inventory refresh is still open' }], commandUuids: [] });
      expect((await system.api('GET', inventoryPath)).json).toMatchObject({ refreshOpen: true, refreshSource: 'api' });

      await eventually(() => {
        if (pushes() <= pushesBefore) throw new Error('no push');
      }, { timeoutMs: 20_000 });
      expect(await connectSession(device)).toEqual(['DeviceInformation', 'SecurityInfo', 'CertificateList']);

      const refreshed = (await system.api('GET', inventoryPath)).json;
      expect(refreshed).toMatchObject({ securityInfo: { PasscodePresent: true }, refreshOpen: false });
      expect(refreshed.certificates).toEqual([
        expect.objectContaining({ commonName: identityCn, isIdentity: true }),
        expect.objectContaining({ commonName: 'Example Root', subject: expect.stringContaining('CN=Example Root'), isIdentity: false }),
      ]);
      expect(JSON.stringify(refreshed.certificates)).not.toContain(derLineOf(root.certPem));

      const history = await system.api('GET', `${inventoryPath}/history`);
      expect(history.status).toBe(200);
      const changes = history.json.changes as Array<{ field: string; oldValue: unknown; newValue: unknown; requestType: string; commandUuid: string }>;
      expect(changes.find((c) => c.field === 'OSVersion')).toMatchObject({ oldValue: '17.5', newValue: '18.1', requestType: 'DeviceInformation', commandUuid: refresh.json.commandUuids[0] });
      expect(changes.find((c) => c.field === 'SecurityInfo.PasscodePresent')).toMatchObject({ oldValue: false, newValue: true, requestType: 'SecurityInfo' });
      expect(changes.find((c) => c.field === 'Certificate Example Root')).toMatchObject({ oldValue: null, newValue: { isIdentity: false }, requestType: 'CertificateList' });
      // Battery and free space move on every refresh: kept, not recorded.
      expect(changes.map((c) => c.field)).not.toContain('BatteryLevel');
      expect(changes).toHaveLength(3);
      await eventually(async () => expect((await system.api('GET', `/v1/devices/${device.udid}`)).json).toMatchObject({ osVersion: '18.1' }));

      // Paging: newest first, `before` goes on from `next`.
      const page1 = await system.api('GET', `${inventoryPath}/history?limit=2`);
      expect(page1.json.changes).toHaveLength(2);
      const page2 = await system.api('GET', `${inventoryPath}/history?limit=2&before=${page1.json.next}`);
      expect(page2.json).toMatchObject({ next: null });
      expect([...page1.json.changes, ...page2.json.changes]).toEqual(changes);
    });

    it('refuses what it cannot do, naming why', async () => {
      expect((await system.api('POST', '/v1/devices/NO-SUCH-DEVICE/inventory/refresh')).status).toBe(404);
      expect((await system.api('GET', '/v1/devices/NO-SUCH-DEVICE/inventory')).status).toBe(404);
      const badBody = await system.api('POST', '/v1/inventory/refresh', { udids: [] });
      expect(badBody.status).toBe(400);
      expect(badBody.json.message).toMatch(/udids/);
      const badCursor = await system.api('GET', '/v1/devices/X/inventory/history?before=yesterday');
      expect(badCursor.status).toBe(400);
      expect(badCursor.json.message).toMatch(/before/);
      const unenrolled = await system.device(topic);
      expect((await unenrolled.authenticate()).status).toBe(200);
      const refused = await system.api('POST', `/v1/devices/${unenrolled.udid}/inventory/refresh`);
      expect(refused.status).toBe(409);
      expect(refused.json.message).toMatch(/not enrolled/);
      // Refreshing queues commands: a read-only key may look but not ask.
      const key = await system.api('POST', '/v1/api-keys', { name: 'inventory reader', scopes: ['read'] });
      expect(key.status).toBe(201);
      const asReader = await system.api('POST', `/v1/devices/${unenrolled.udid}/inventory/refresh`, undefined, { authorization: `Bearer ${key.json.secret}` });
      expect(asReader.status).toBe(403);
      expect((await system.api('GET', `/v1/devices/${unenrolled.udid}/inventory`, undefined, { authorization: `Bearer ${key.json.secret}` })).status).toBe(200);
    });
  });

  describe('on a schedule', () => {
    let system: TestSystem;

    beforeAll(async () => {
      system = await TestSystem.start({ INVENTORY_REFRESH_INTERVAL: '3s', INVENTORY_SWEEP_INTERVAL_MS: '300' });
    });

    afterAll(async () => {
      await system?.close('e2e-inventory-schedule-services.log');
    });

    /** The device's queue once it holds a scheduled DeviceInformation, and the time that took. */
    const scheduledRefresh = async (d: DeviceSimulator): Promise<void> => {
      await eventually(async () => {
        const queue = await system.api('GET', `/v1/devices/${d.udid}/queue`);
        const types = (queue.json.pending as Array<{ requestType: string }>).map((p) => p.requestType);
        if (!types.includes('DeviceInformation')) throw new Error(`queue: ${types.join(', ')}`);
        expect((await system.api('GET', `/v1/devices/${d.udid}/inventory`)).json).toMatchObject({ refreshSource: 'schedule', refreshOpen: true });
      }, { timeoutMs: 30_000, intervalMs: 300, message: 'scheduled refresh' });
    };

    it('asks again once the interval has passed, never twice while one is open, and after a restart', async () => {
      const topic = await system.uploadPushCertificate();
      const device = await system.enrolledDevice(topic, { deviceName: 'Front desk' });
      await eventually(async () => {
        if (!(await connectSession(device)).includes('DeviceInformation')) throw new Error('no inventory yet');
      }, { timeoutMs: 30_000, intervalMs: 200 });

      device.state.deviceName = 'Back office';
      await scheduledRefresh(device);
      // Several intervals pass while the device is away: still one refresh waiting, not one per tick.
      await new Promise((r) => setTimeout(r, 7_000));
      const pending = (await system.api('GET', `/v1/devices/${device.udid}/queue`)).json.pending as Array<{ requestType: string }>;
      expect(pending.filter((p) => p.requestType === 'DeviceInformation')).toHaveLength(1);
      expect(await connectSession(device)).toEqual(['DeviceInformation', 'SecurityInfo', 'CertificateList']);
      const history = await system.api('GET', `/v1/devices/${device.udid}/inventory/history`);
      expect(history.json.changes).toEqual([expect.objectContaining({ field: 'DeviceName', oldValue: 'Front desk', newValue: 'Back office' })]);

      // The schedule lives in Redis and Postgres: a restarted command service keeps it.
      await system.stop('command');
      await system.restart('command');
      await scheduledRefresh(device);
    });
  });
});
