import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createCertificateAuthority, issueKeyAndCertificate } from '@mdm/pki';
import { buildPlist } from '@mdm/protocol';
import { createDeviceIdentity, DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * The MDM loop of MDM-PRIMER.md through the gateway, with all six services running as `npm start`
 * runs them: enroll → push → command → result.
 */
jest.setTimeout(120_000);

describe('MDM loop end to end', () => {
  let system: TestSystem;
  let topic: string;

  beforeAll(async () => {
    // The automatic first inventory is tested in enrollment.e2e-spec.ts; here each test queues its own commands.
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false' });
  });

  afterAll(async () => {
    await system?.close();
  });

  const statusOf = async (commandUuid: string, udid: string): Promise<string> => {
    const res = await system.api('GET', `/v1/commands/${commandUuid}`);
    expect(res.status).toBe(200);
    return res.json.devices.find((d: { udid: string }) => d.udid === udid)?.status;
  };

  describe('push certificate', () => {
    it('refuses a certificate without a com.apple.mgmt. UID', async () => {
      const ca = await createCertificateAuthority({ commonName: 'Not Apple' });
      const cert = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=just a cert' });
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/UID|com\.apple\.mgmt/);
    });

    it('refuses an expired certificate', async () => {
      const cert = await system.apns.issuePushCertificate({ notBefore: new Date(Date.now() - 3 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/expired/i);
    });

    it('refuses a key that does not match', async () => {
      const a = await system.apns.issuePushCertificate();
      const b = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: a.certPem, privateKey: b.keyPem });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/private key does not (match|belong)/i);
    });

    it('refuses a body without the certificate, naming the field', async () => {
      const res = await system.api('PUT', '/v1/apns/certificate', { privateKey: 'x' });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/certificate/);
    });

    it('stores a valid certificate and answers its topic and expiry', async () => {
      const cert = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      expect(res.status).toBe(200);
      expect(res.json.topic).toBe(cert.topic);
      expect(new Date(res.json.notAfter).getTime()).toBeGreaterThan(Date.now());
      topic = cert.topic;
    });
  });

  describe('admin API', () => {
    it('requires the API key', async () => {
      const res = await fetch(`${system.baseUrl}/v1/devices`);
      expect(res.status).toBe(401);
      const wrong = await system.api('GET', '/v1/devices', undefined, { authorization: 'Bearer not-the-key-at-all' });
      expect(wrong.status).toBe(401);
    });

    it('answers bad bodies with 400 naming the field', async () => {
      const noRequestType = await system.api('POST', '/v1/commands', { udids: ['abc'], command: {} });
      expect(noRequestType.status).toBe(400);
      expect(noRequestType.json.message).toMatch(/command\.RequestType/);
      const noUdids = await system.api('POST', '/v1/commands', { udids: [], command: { RequestType: 'DeviceInformation' } });
      expect(noUdids.status).toBe(400);
      expect(noUdids.json.message).toMatch(/udids/);
      const notJson = await system.api('POST', '/v1/commands', '{"udids": [');
      expect(notJson.status).toBe(400);
      expect(notJson.json.message).toMatch(/JSON/);
    });

    it('describes itself to a key holder: an OpenAPI document generated from the routes and schemas, and interactive docs', async () => {
      expect((await fetch(`${system.baseUrl}/openapi.json`)).status).toBe(401);
      const doc = (await system.api('GET', '/openapi.json')).json;
      expect(doc.openapi).toBe('3.1.0');
      const create = doc.paths['/v1/commands'].post;
      expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['udids', 'command']));
      expect(doc.paths['/v1/commands/{commandUuid}'].get.parameters[0]).toMatchObject({ name: 'commandUuid', in: 'path' });
      expect(doc.paths['/v1/enrollment-configurations/{id}/profile'].get.responses['200'].content).toHaveProperty(['application/x-apple-aspen-config']);
      const page = await fetch(`${system.baseUrl}/docs`);
      expect(page.status).toBe(200);
      // A static shell: it asks for the key and fetches the description with it.
      const html = await page.text();
      expect(html).toContain("fetch('/openapi.json', { headers: { Authorization: 'Bearer ' + key } })");
      expect(html).toContain('requestInterceptor');
      expect(html).not.toContain('x-scope');
      expect((await fetch(`${system.baseUrl}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
      expect((await fetch(`${system.baseUrl}/docs/assets/..%2Fpackage.json`)).status).toBe(404);
    });

    it('answers an oversized body with 413 and a message, and nothing changes', async () => {
      const huge = Buffer.alloc(11 * 1024 * 1024, 0x61);
      const admin = await system.api('POST', '/v1/commands', huge.toString());
      expect(admin.status).toBe(413);
      expect(admin.json.message).toMatch(/larger than the limit/);
      const device = await system.device(topic);
      const checkin = await device.send('/mdm/checkin', huge, { contentType: 'application/x-apple-aspen-mdm-checkin' });
      expect(checkin.status).toBe(413);
      expect((await system.api('GET', `/v1/devices/${device.udid}`)).status).toBe(404);
    });

    it('answers 404 for unknown devices, commands and endpoints', async () => {
      expect((await system.api('GET', '/v1/devices/NO-SUCH-DEVICE')).status).toBe(404);
      expect((await system.api('GET', '/v1/commands/8a7f6a52-8f59-4d39-9d4c-2f2d1b0c0a11')).status).toBe(404);
      expect((await system.api('GET', '/v1/nothing-here')).status).toBe(404);
      const unknown = await system.api('POST', '/v1/commands', { udids: ['NO-SUCH-DEVICE'], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
      expect(unknown.status).toBe(404);
      expect(unknown.json.message).toMatch(/NO-SUCH-DEVICE/);
    });
  });

  describe('enroll, push, command, result', () => {
    it('runs DeviceInformation through the whole loop', async () => {
      const device = await system.device(topic, { serialNumber: 'F2LXK0ABHG7F', productName: 'iPhone15,2', osVersion: '17.5', isSupervised: true });
      expect((await device.authenticate()).status).toBe(200);
      let view = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(view.json).toMatchObject({ udid: device.udid, enrolled: false });
      expect((await device.tokenUpdate()).status).toBe(200);
      view = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(view.json).toMatchObject({ enrolled: true, push: { pushable: true } });

      const created = await system.api('POST', '/v1/commands', {
        udids: [device.udid],
        command: { RequestType: 'DeviceInformation', Queries: ['OSVersion', 'SerialNumber', 'IsSupervised', 'ModelName', 'ProductName', 'DeviceName'] },
      });
      expect(created.status).toBe(201);
      const commandUuid: string = created.json.commandUuid;

      const pushes = await eventually(() => {
        const mine = system.apns.pushes.filter((p) => p.token === device.tokenHex);
        if (!mine.length) throw new Error('no push yet');
        return mine;
      }, { timeoutMs: 20000 });
      expect(pushes[0]).toMatchObject({ topic, pushType: 'mdm', priority: 10, body: { mdm: device.pushMagic } });
      expect(pushes[0]!.expiration).toBeGreaterThan(Date.now() / 1000);
      await eventually(async () => expect(await statusOf(commandUuid, device.udid)).toBe('SENT'), { timeoutMs: 20000 });

      const idle = await device.idle();
      expect(idle.status).toBe(200);
      expect(idle.command).toMatchObject({ commandUuid, requestType: 'DeviceInformation' });
      expect(await statusOf(commandUuid, device.udid)).toBe('PUSH');

      const done = await device.answer(idle.command!);
      expect(done.status).toBe(200);
      expect(done.body.length).toBe(0);
      expect(await statusOf(commandUuid, device.udid)).toBe('ACKNOWLEDGED');

      // The enrollment service copies the answer's facts onto the device as it follows the event feed.
      const after = await eventually(async () => {
        const view = await system.api('GET', `/v1/devices/${device.udid}`);
        expect(view.json).toMatchObject({ serialNumber: 'F2LXK0ABHG7F', osVersion: '17.5', supervised: true, enrolled: true });
        return view;
      });
      expect(after.json.lastSeenAt).not.toBeNull();
      const history = await system.api('GET', `/v1/devices/${device.udid}/commands`);
      expect(history.json.commands).toEqual([expect.objectContaining({ commandUuid, requestType: 'DeviceInformation', status: 'ACKNOWLEDGED' })]);
      const detail = await system.api('GET', `/v1/commands/${commandUuid}`);
      expect(detail.json.devices[0].result.QueryResponses).toMatchObject({ OSVersion: '17.5', IsSupervised: true });
    });

    it('keeps a NotNow command out of that session and serves it after the next Idle', async () => {
      const device = await system.enrolledDevice(topic);
      const first = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false });
      const second = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'CertificateList' }, push: false });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      const a = first.json.commandUuid as string;
      const b = second.json.commandUuid as string;
      // push: false means no push at all for this device.
      expect(system.apns.pushes.some((p) => p.token === device.tokenHex)).toBe(false);

      const gotA = await device.idle();
      expect(gotA.command?.commandUuid).toBe(a);
      const gotB = await device.notNow(a);
      expect(gotB.command?.commandUuid).toBe(b);
      expect(await statusOf(a, device.udid)).toBe('NOTNOW');
      const end = await device.acknowledge(b);
      // A was refused in this session: the session ends instead of offering it again.
      expect(end.status).toBe(200);
      expect(end.body.length).toBe(0);
      expect(await statusOf(b, device.udid)).toBe('ACKNOWLEDGED');
      expect(await statusOf(a, device.udid)).toBe('NOTNOW');

      const again = await device.idle();
      expect(again.command?.commandUuid).toBe(a);
      const finished = await device.acknowledge(a);
      expect(finished.body.length).toBe(0);
      expect(await statusOf(a, device.udid)).toBe('ACKNOWLEDGED');
    });

    it('records Error with its chain and CommandFormatError', async () => {
      const device = await system.enrolledDevice(topic);
      const c1 = (await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'InstalledApplicationList' }, push: false })).json.commandUuid;
      // An unknown RequestType only goes out when the operator marks it raw.
      const c2 = (await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'Bogus' }, push: false, raw: true })).json.commandUuid;
      const got = await device.idle();
      expect(got.command?.commandUuid).toBe(c1);
      const next = await device.error(c1, [{ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Nope', USEnglishDescription: 'Nope' }]);
      expect(next.command?.commandUuid).toBe(c2);
      await device.formatError(c2);
      const detail = await system.api('GET', `/v1/commands/${c1}`);
      expect(detail.json.devices[0]).toMatchObject({ status: 'ERROR', errorChain: [expect.objectContaining({ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain' })] });
      expect(await statusOf(c2, device.udid)).toBe('FORMAT_ERROR');
    });

    it('sends one command to several devices under one CommandUUID', async () => {
      const devices = await Promise.all([system.enrolledDevice(topic), system.enrolledDevice(topic), system.enrolledDevice(topic)]);
      const res = await system.api('POST', '/v1/commands', { udids: devices.map((d) => d.udid), command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
      expect(res.status).toBe(201);
      expect(res.json.devices).toHaveLength(3);
      await system.apns.waitForPushes(1, 100);
      await eventually(() => {
        for (const d of devices) if (!system.apns.pushes.some((p) => p.token === d.tokenHex)) throw new Error(`no push for ${d.udid}`);
      }, { timeoutMs: 20000 });
      for (const d of devices) {
        const got = await d.idle();
        expect(got.command?.commandUuid).toBe(res.json.commandUuid);
        await d.answer(got.command!);
      }
      const detail = await system.api('GET', `/v1/commands/${res.json.commandUuid}`);
      expect(detail.json.devices.map((d: { status: string }) => d.status)).toEqual(['ACKNOWLEDGED', 'ACKNOWLEDGED', 'ACKNOWLEDGED']);
    });
  });

  describe('commands checked against Apple\'s schema', () => {
    it('refuses a command that breaks the schema, naming the key', async () => {
      const device = await system.enrolledDevice(topic);
      const wrongType = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: 'OSVersion' } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.json.message).toMatch(/command\.Queries/);
      const missing = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'InstallMedia' } });
      expect(missing.status).toBe(400);
      expect(missing.json.message).toMatch(/MediaType/);
      const unknown = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'MakeCoffee' } });
      expect(unknown.status).toBe(400);
      expect(unknown.json.message).toMatch(/unknown RequestType MakeCoffee/);
      // Nothing was queued by the refusals.
      expect((await system.api('GET', `/v1/devices/${device.udid}/commands`)).json.commands).toEqual([]);
    });

    it('blocks a supervised-only or too-new command per device, sending nothing', async () => {
      const supervised = await system.enrolledDevice(topic, { isSupervised: true, osVersion: '17.5' });
      const unsupervised = await system.enrolledDevice(topic, { isSupervised: false, osVersion: '14.8' });
      // The server learns supervision and OS from DeviceInformation.
      for (const d of [supervised, unsupervised]) {
        const info = await system.api('POST', '/v1/commands', { udids: [d.udid], command: { RequestType: 'DeviceInformation', Queries: ['IsSupervised', 'OSVersion'] }, push: false });
        const got = await d.idle();
        expect(got.command?.commandUuid).toBe(info.json.commandUuid);
        await d.answer(got.command!);
      }
      for (const d of [supervised, unsupervised]) {
        await eventually(async () => expect((await system.api('GET', `/v1/devices/${d.udid}`)).json.supervised).not.toBeNull());
      }
      const restart = await system.api('POST', '/v1/commands', { udids: [supervised.udid, unsupervised.udid], command: { RequestType: 'RestartDevice' }, push: false });
      expect(restart.status).toBe(201);
      const byUdid = Object.fromEntries(restart.json.devices.map((d: { udid: string }) => [d.udid, d]));
      expect(byUdid[supervised.udid]).toMatchObject({ status: 'QUEUED' });
      expect(byUdid[unsupervised.udid]).toMatchObject({ status: 'BLOCKED', statusReason: expect.stringMatching(/supervision/) });
      expect(restart.json.counts).toEqual({ QUEUED: 1, BLOCKED: 1 });
      const tooNew = await system.api('POST', '/v1/commands', { udids: [unsupervised.udid], command: { RequestType: 'DeclarativeManagement' }, push: false });
      expect(tooNew.json.devices[0]).toMatchObject({ status: 'BLOCKED', statusReason: expect.stringMatching(/requires iOS 15\.0 \(device has 14\.8\)/) });
      // A blocked command is never handed to the device.
      expect((await unsupervised.idle()).body.length).toBe(0);
      expect((await supervised.idle()).command?.requestType).toBe('RestartDevice');
    });
  });

  describe('idempotency keys', () => {
    it('queues a command under the CommandUUID its caller chose, and refuses that UUID a second time with 409', async () => {
      const device = await system.enrolledDevice(topic);
      const commandUuid = randomUUID().toUpperCase();
      const body = { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false, commandUuid };
      const first = await system.api('POST', '/v1/commands', body);
      expect(first.status).toBe(201);
      expect(first.json.commandUuid).toBe(commandUuid.toLowerCase());
      const again = await system.api('POST', '/v1/commands', { ...body, command: { RequestType: 'CertificateList' } });
      expect(again.status).toBe(409);
      expect(again.json.message).toMatch(/commandUuid: a command .* exists already/);
      const bad = await system.api('POST', '/v1/commands', { ...body, commandUuid: 'not-a-uuid' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.json)).toMatch(/commandUuid/);
      // The device gets it under that UUID; the refused request queued nothing.
      const got = await device.idle();
      expect(got.command?.commandUuid.toLowerCase()).toBe(commandUuid.toLowerCase());
      expect(got.command?.requestType).toBe('ProfileList');
      await device.acknowledge(got.command!.commandUuid);
      expect((await device.idle()).command).toBeUndefined();
    });

    it('answers a retried POST with the first answer instead of queuing twice', async () => {
      const device = await system.enrolledDevice(topic);
      const body = { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false };
      const first = await system.api('POST', '/v1/commands', body, { 'idempotency-key': 'retry-1' });
      const again = await system.api('POST', '/v1/commands', body, { 'idempotency-key': 'retry-1' });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.json.commandUuid).toBe(first.json.commandUuid);
      expect((await system.api('GET', `/v1/devices/${device.udid}/commands`)).json.commands).toHaveLength(1);
      const other = await system.api('POST', '/v1/commands', { ...body, command: { RequestType: 'CertificateList' } }, { 'idempotency-key': 'retry-1' });
      expect(other.status).toBe(422);
      expect(other.json.message).toMatch(/different body/);
      // A refused request doesn't burn its key.
      expect((await system.api('POST', '/v1/commands', { ...body, udids: ['NOPE'] }, { 'idempotency-key': 'retry-2' })).status).toBe(404);
      expect((await system.api('POST', '/v1/commands', body, { 'idempotency-key': 'retry-2' })).status).toBe(201);
      const push1 = await system.api('POST', '/v1/push', { udids: [device.udid] }, { 'idempotency-key': 'push-1' });
      const push2 = await system.api('POST', '/v1/push', { udids: [device.udid] }, { 'idempotency-key': 'push-1' });
      expect(push2.status).toBe(202);
      expect(push2.json).toEqual(push1.json);
    });

    it('runs racing requests with one key once: the key commits with the command, never half-claimed', async () => {
      const device = await system.enrolledDevice(topic);
      const body = { udids: [device.udid], command: { RequestType: 'CertificateList' }, push: false };
      const answers = await Promise.all(Array.from({ length: 6 }, () => system.api('POST', '/v1/commands', body, { 'idempotency-key': 'race-1' })));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
      expect(new Set(answers.map((a) => a.json.commandUuid)).size).toBe(1);
      expect((await system.api('GET', `/v1/devices/${device.udid}/commands`)).json.commands).toHaveLength(1);
    });
  });

  describe('queue inspection', () => {
    it('shows what waits for a device, cancels one command, and clears the rest', async () => {
      const device = await system.enrolledDevice(topic);
      const queue = async (c: { RequestType: string }): Promise<string> =>
        (await system.api('POST', '/v1/commands', { udids: [device.udid], command: c, push: false })).json.commandUuid;
      const a = await queue({ RequestType: 'ProfileList' });
      const b = await queue({ RequestType: 'CertificateList' });
      const c = await queue({ RequestType: 'InstalledApplicationList' });
      const pending = await system.api('GET', `/v1/devices/${device.udid}/queue`);
      expect(pending.json.pending.map((p: { commandUuid: string }) => p.commandUuid)).toEqual([a, b, c]);

      const canceled = await system.api('POST', `/v1/commands/${b}/cancel`, { udids: [device.udid] });
      expect(canceled.json).toEqual({ commandUuid: b, canceled: 1 });
      expect(await statusOf(b, device.udid)).toBe('CANCELED');
      expect((await system.api('POST', `/v1/commands/${b}/cancel`)).json.canceled).toBe(0);
      expect((await system.api('POST', '/v1/commands/8a7f6a52-8f59-4d39-9d4c-2f2d1b0c0a11/cancel')).status).toBe(404);

      // The canceled command is skipped: the device gets a, then c.
      const first = await device.idle();
      expect(first.command?.commandUuid).toBe(a);
      const second = await device.acknowledge(a);
      expect(second.command?.commandUuid).toBe(c);

      const cleared = await system.api('DELETE', `/v1/devices/${device.udid}/queue`);
      expect(cleared.json).toEqual({ udid: device.udid, canceled: 1 });
      expect((await system.api('GET', `/v1/devices/${device.udid}/queue`)).json.pending).toEqual([]);
      expect((await system.api('GET', '/v1/devices/NO-SUCH-DEVICE/queue')).status).toBe(404);
    });
  });

  describe('enrollment lifecycle', () => {
    it('CheckOut drops the queue and stops pushing', async () => {
      const device = await system.enrolledDevice(topic);
      const c = (await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false })).json.commandUuid;
      expect((await device.checkOut()).status).toBe(200);
      // The command service cancels the queue as it follows the event feed.
      await eventually(async () => expect(await statusOf(c, device.udid)).toBe('CANCELED'));
      const view = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(view.json).toMatchObject({ enrolled: false, push: { pushable: false } });
      const refused = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' } });
      expect(refused.status).toBe(409);
      expect((await device.idle()).status).toBe(401);

      const all = await system.events(`udid=${device.udid}`);
      const lifecycle = all.filter((e) => e.type.startsWith('device.'));
      expect(lifecycle.map((e) => e.type)).toEqual(['device.authenticated', 'device.token_updated', 'device.enrolled', 'device.checked_out']);
      expect(lifecycle[1]!.data).toMatchObject({ udid: device.udid, count: 1 });
      expect(lifecycle[3]!.data).toMatchObject({ canceledCommands: 1 });
      // The database records every status change of the command as an event, the cancellation with its reason.
      const mine = all.filter((e) => e.data['commandUuid'] === c);
      expect(mine.map((e) => e.type)).toEqual(['command.queued.v2', 'command.canceled']);
      expect(mine[1]!.data).toMatchObject({ requestType: 'ProfileList', status: 'CANCELED', reason: expect.stringMatching(/check/i) });
    });

    it('re-Authenticate starts a fresh enrollment of the same UDID', async () => {
      const device = await system.enrolledDevice(topic);
      const c = (await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false })).json.commandUuid;
      // The same UDID comes back with a new identity (the profile was reinstalled).
      const again = new DeviceSimulator({ baseUrl: system.baseUrl, identity: await createDeviceIdentity(system.deviceCa), topic, udid: device.udid });
      expect((await again.authenticate()).status).toBe(200);
      await eventually(async () => expect(await statusOf(c, device.udid)).toBe('CANCELED'));
      // The old identity is no longer bound.
      expect((await device.tokenUpdate()).status).toBe(401);
      expect((await again.tokenUpdate()).status).toBe(200);
      const list = await system.api('GET', `/v1/devices?limit=1000`);
      expect(list.json.devices.filter((d: { udid: string }) => d.udid === device.udid)).toHaveLength(1);
      const view = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(view.json).toMatchObject({ enrolled: true, tokenUpdateCount: 1 });
    });

    it('answers UserAuthenticate with 410 and unknown message types with 400', async () => {
      const device = await system.enrolledDevice(topic);
      expect((await device.checkin({ MessageType: 'UserAuthenticate', UDID: device.udid, UserID: 'u', Topic: topic })).status).toBe(410);
      expect((await device.checkin({ MessageType: 'Nonsense', UDID: device.udid, Topic: topic })).status).toBe(400);
      expect((await device.checkin({ MessageType: 'TokenUpdate', UDID: device.udid, Topic: topic })).status).toBe(400);
    });
  });

  describe('device authentication', () => {
    it('refuses unsigned, foreign-signed and wrong-UDID requests and leaves no trace', async () => {
      const stranger = await system.device(topic);
      const authenticate = buildPlist({ MessageType: 'Authenticate', UDID: stranger.udid, Topic: topic, SerialNumber: 'X', OSVersion: '17.0' });

      const unsigned = await stranger.send('/mdm/checkin', authenticate, { sign: false });
      expect(unsigned.status).toBe(401);

      const foreignCa = await createCertificateAuthority({ commonName: 'Someone else' });
      const foreign = await createDeviceIdentity(foreignCa);
      const foreignSigned = await stranger.send('/mdm/checkin', authenticate, { sign: { identity: foreign } });
      expect(foreignSigned.status).toBe(401);

      const tampered = await stranger.send('/mdm/checkin', authenticate, {
        headers: { 'Mdm-Signature': (await system.device(topic)).udid },
      });
      expect(tampered.status).toBe(401);
      expect((await system.api('GET', `/v1/devices/${stranger.udid}`)).status).toBe(404);

      // A real enrolled device, and another device's identity speaking for its UDID.
      const victim = await system.enrolledDevice(topic);
      const c = (await system.api('POST', '/v1/commands', { udids: [victim.udid], command: { RequestType: 'ProfileList' }, push: false })).json.commandUuid;
      const intruder = (await system.enrolledDevice(topic)).withUdid(victim.udid);
      expect((await intruder.tokenUpdate()).status).toBe(401);
      expect((await intruder.idle()).status).toBe(401);
      expect((await intruder.checkOut()).status).toBe(401);
      expect(await statusOf(c, victim.udid)).toBe('QUEUED');
      const view = await system.api('GET', `/v1/devices/${victim.udid}`);
      expect(view.json).toMatchObject({ enrolled: true, tokenUpdateCount: 1 });
      const got = await victim.idle();
      expect(got.command?.commandUuid).toBe(c);
    });

    it('accepts a client certificate forwarded by the TLS proxy', async () => {
      const device = await system.device(topic, { auth: 'forwarded-cert' });
      expect((await device.authenticate()).status).toBe(200);
      expect((await device.tokenUpdate()).status).toBe(200);
      expect((await device.idle()).status).toBe(200);
    });

    it('believes a forwarded certificate only from a trusted proxy address', async () => {
      const device = await system.device(topic, { auth: 'forwarded-cert' });
      const body = buildPlist({ MessageType: 'Authenticate', UDID: device.udid, Topic: topic, SerialNumber: 'X', OSVersion: '17.0' });
      // The same request from 127.0.0.2: not in MDM_TRUSTED_PROXIES (127.0.0.1, ::1 by default).
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${system.baseUrl}/mdm/checkin`,
          {
            method: 'PUT',
            localAddress: '127.0.0.2',
            headers: { 'content-type': 'application/x-apple-aspen-mdm-checkin', 'x-ssl-client-cert': encodeURIComponent(device.identity.certPem) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(401);
      expect((await system.api('GET', `/v1/devices/${device.udid}`)).status).toBe(404);
    });

    it('refuses a device certificate that has expired', async () => {
      const expired = await createDeviceIdentity(system.deviceCa, { notBefore: new Date(Date.now() - 3 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
      const device = new DeviceSimulator({ baseUrl: system.baseUrl, identity: expired, topic });
      const res = await device.authenticate();
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/expired/i);
    });
  });

  describe('durability', () => {
    it('loses no queued command or push when the push worker crashes and restarts', async () => {
      const device = await system.enrolledDevice(topic);
      await system.stop('push', 'SIGKILL');
      const created = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
      expect(created.status).toBe(201);
      expect(system.apns.pushes.some((p) => p.token === device.tokenHex)).toBe(false);
      await system.restart('push');
      await eventually(() => {
        if (!system.apns.pushes.some((p) => p.token === device.tokenHex)) throw new Error('no push yet');
      }, { timeoutMs: 30000 });
      await eventually(async () => expect(await statusOf(created.json.commandUuid, device.udid)).toBe('SENT'), { timeoutMs: 20000 });
    });

    it('keeps queued commands across a restart of the command service', async () => {
      const device = await system.enrolledDevice(topic);
      const created = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false });
      await system.stop('command', 'SIGKILL');
      expect((await device.idle()).status).toBe(503);
      await system.restart('command');
      const got = await device.idle();
      expect(got.command?.commandUuid).toBe(created.json.commandUuid);
    });
  });
});
