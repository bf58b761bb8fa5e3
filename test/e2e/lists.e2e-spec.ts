import type { DeviceSimulator } from '@mdm/testing';
import { eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * Paging, filtering and sorting of the admin API's lists (list-query.ts in @mdm/contracts), through the
 * gateway as an operator sees them.
 */
jest.setTimeout(120_000);

interface DeviceRow {
  udid: string;
  osVersion: string | null;
  enrolled: boolean;
  enrolledAt: string | null;
  lastSeenAt: string | null;
}
interface EventRow {
  seq: number;
  id: string;
  type: string;
  udid: string | null;
  occurredAt: string;
  cursor: string;
}

describe('admin API lists', () => {
  let system: TestSystem;
  let topic: string;
  /** By name: os version, model, enrolled or not. */
  const devices: Record<string, DeviceSimulator> = {};
  const plan: Array<{ udid: string; osVersion: string; modelName?: string; serial?: string; enroll: boolean }> = [
    { udid: 'LIST-A', osVersion: '17.5', serial: 'LISTSERIAL01', enroll: true },
    { udid: 'LIST-B', osVersion: '17.10', modelName: 'iPad', enroll: true },
    { udid: 'LIST-C', osVersion: '18.0.1', enroll: true },
    { udid: 'LIST-D', osVersion: '16.7', enroll: true },
    { udid: 'LIST-E', osVersion: '17.5.1', enroll: false },
  ];
  const udidsOf = (res: { json: { devices: DeviceRow[] } }): string[] => res.json.devices.map((d) => d.udid);

  beforeAll(async () => {
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false' });
    topic = await system.uploadPushCertificate();
    for (const p of plan) {
      const device = await system.device(topic, { udid: p.udid, osVersion: p.osVersion, ...(p.serial ? { serialNumber: p.serial } : {}) });
      expect((await device.authenticate(p.modelName ? { ModelName: p.modelName } : {})).status).toBe(200);
      if (p.enroll) expect((await device.tokenUpdate()).status).toBe(200);
      devices[p.udid] = device;
    }
  });

  afterAll(async () => {
    await system?.close('e2e-lists-services.log');
  });

  describe('GET /v1/devices', () => {
    it('pages with limit and offset, counting every match in total', async () => {
      const seen: string[] = [];
      for (let offset = 0; offset < 6; offset += 2) {
        const page = await system.api('GET', `/v1/devices?limit=2&offset=${offset}&sort=udid`);
        expect(page.status).toBe(200);
        expect(page.json).toMatchObject({ total: 5, limit: 2, offset });
        seen.push(...udidsOf(page));
      }
      expect(seen).toEqual(['LIST-A', 'LIST-B', 'LIST-C', 'LIST-D', 'LIST-E']);
      const defaults = await system.api('GET', '/v1/devices');
      expect(defaults.json).toMatchObject({ total: 5, limit: 100, offset: 0 });
      // The default order is the order devices first appeared in.
      expect(udidsOf(defaults)).toEqual(plan.map((p) => p.udid));
    });

    it('sorts versions numerically, both ways', async () => {
      const asc = await system.api('GET', '/v1/devices?sort=osVersion&order=asc');
      expect(asc.json.devices.map((d: DeviceRow) => d.osVersion)).toEqual(['16.7', '17.5', '17.5.1', '17.10', '18.0.1']);
      const desc = await system.api('GET', '/v1/devices?sort=osVersion&order=desc');
      expect(desc.json.devices.map((d: DeviceRow) => d.osVersion)).toEqual(['18.0.1', '17.10', '17.5.1', '17.5', '16.7']);
      const byUdid = await system.api('GET', '/v1/devices?sort=udid&order=desc&limit=2');
      expect(udidsOf(byUdid)).toEqual(['LIST-E', 'LIST-D']);
    });

    it('sorts by enrolment and contact time with missing values last', async () => {
      const enrolled = await system.api('GET', '/v1/devices?sort=enrolledAt&order=desc');
      // Enrolled in plan order, so newest first is the reverse; LIST-E never enrolled.
      expect(udidsOf(enrolled)).toEqual(['LIST-D', 'LIST-C', 'LIST-B', 'LIST-A', 'LIST-E']);
      const oldest = await system.api('GET', '/v1/devices?sort=enrolledAt&order=asc');
      expect(udidsOf(oldest)).toEqual(['LIST-A', 'LIST-B', 'LIST-C', 'LIST-D', 'LIST-E']);
      const seen = await system.api('GET', '/v1/devices?sort=lastSeenAt&order=desc');
      const times = (seen.json.devices as DeviceRow[]).map((d) => d.lastSeenAt);
      const present = times.filter((t): t is string => t !== null);
      expect(present).toEqual([...present].sort().reverse());
      expect(times.slice(present.length).every((t) => t === null)).toBe(true);
    });

    it('filters by enrolment, version prefix, minimum version, model and serial', async () => {
      expect(udidsOf(await system.api('GET', '/v1/devices?enrolled=false'))).toEqual(['LIST-E']);
      expect(udidsOf(await system.api('GET', '/v1/devices?os=17&sort=osVersion'))).toEqual(['LIST-A', 'LIST-E', 'LIST-B']);
      // A prefix stops at a dot: 17.5 is not 17.50, and 1 is not 17.
      expect(udidsOf(await system.api('GET', '/v1/devices?os=17.5&sort=osVersion'))).toEqual(['LIST-A', 'LIST-E']);
      expect(udidsOf(await system.api('GET', '/v1/devices?os=1'))).toEqual([]);
      expect(udidsOf(await system.api('GET', '/v1/devices?osMin=17.6&sort=osVersion'))).toEqual(['LIST-B', 'LIST-C']);
      expect(udidsOf(await system.api('GET', '/v1/devices?model=IPAD'))).toEqual(['LIST-B']);
      expect(udidsOf(await system.api('GET', '/v1/devices?serial=listserial01'))).toEqual(['LIST-A']);
      // search: a part of serial, UDID or model, any case; LIKE's wildcards are taken literally.
      expect(udidsOf(await system.api('GET', '/v1/devices?search=serial0'))).toEqual(['LIST-A']);
      expect(udidsOf(await system.api('GET', '/v1/devices?search=pa'))).toEqual(['LIST-B']);
      expect(udidsOf(await system.api('GET', '/v1/devices?search=list-&sort=udid&limit=2'))).toEqual(['LIST-A', 'LIST-B']);
      expect(udidsOf(await system.api('GET', '/v1/devices?search=LIST_'))).toEqual([]);
      expect(udidsOf(await system.api('GET', '/v1/devices?search=%25'))).toEqual([]);
      const combined = await system.api('GET', '/v1/devices?enrolled=true&osMin=17&limit=1&sort=osVersion&order=desc');
      expect(combined.json).toMatchObject({ total: 3, limit: 1, offset: 0 });
      expect(udidsOf(combined)).toEqual(['LIST-C']);
    });

    it('refuses an unknown sort field, naming the allowed ones, and other bad parameters', async () => {
      const bad = await system.api('GET', '/v1/devices?sort=color');
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/sort: must be one of createdAt, enrolledAt, lastSeenAt, udid, serialNumber, osVersion/);
      const order = await system.api('GET', '/v1/devices?order=up');
      expect(order.status).toBe(400);
      expect(order.json.message).toMatch(/order: must be one of asc, desc/);
      expect((await system.api('GET', '/v1/devices?limit=0')).status).toBe(400);
      expect((await system.api('GET', '/v1/devices?limit=1001')).status).toBe(400);
      expect((await system.api('GET', '/v1/devices?offset=-1')).status).toBe(400);
      expect((await system.api('GET', '/v1/devices?os=seventeen')).status).toBe(400);
      const typo = await system.api('GET', '/v1/devices?enroled=true');
      expect(typo.status).toBe(400);
      expect(typo.json.message).toMatch(/unknown parameter\(s\) enroled; this list takes enrolled, supervised/);
    });
  });

  describe('command lists', () => {
    let commandUuids: string[];

    beforeAll(async () => {
      // Three commands for LIST-A: ProfileList acknowledged, CertificateList failed, DeviceInformation still queued.
      commandUuids = [];
      for (const command of [{ RequestType: 'ProfileList' }, { RequestType: 'CertificateList' }, { RequestType: 'DeviceInformation', Queries: ['OSVersion'] }]) {
        const res = await system.api('POST', '/v1/commands', { udids: ['LIST-A'], command, push: false });
        expect(res.status).toBe(201);
        commandUuids.push(res.json.commandUuid);
      }
      const device = devices['LIST-A']!;
      expect((await device.idle()).command?.commandUuid).toBe(commandUuids[0]);
      expect((await device.acknowledge(commandUuids[0]!)).command?.commandUuid).toBe(commandUuids[1]);
      await device.error(commandUuids[1]!);
    });

    it('lists a device\'s commands newest first, filtered and sorted', async () => {
      const all = await system.api('GET', '/v1/devices/LIST-A/commands');
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ udid: 'LIST-A', total: 3, limit: 100, offset: 0 });
      expect(all.json.commands.map((c: { commandUuid: string }) => c.commandUuid)).toEqual([...commandUuids].reverse());
      const failed = await system.api('GET', '/v1/devices/LIST-A/commands?status=ERROR,FORMAT_ERROR');
      expect(failed.json).toMatchObject({ total: 1, commands: [{ commandUuid: commandUuids[1], status: 'ERROR' }] });
      const byType = await system.api('GET', '/v1/devices/LIST-A/commands?requestType=ProfileList');
      expect(byType.json).toMatchObject({ total: 1, commands: [{ commandUuid: commandUuids[0], status: 'ACKNOWLEDGED' }] });
      const sorted = await system.api('GET', '/v1/devices/LIST-A/commands?sort=requestType&order=asc&limit=2&offset=1');
      expect(sorted.json).toMatchObject({ total: 3, limit: 2, offset: 1 });
      expect(sorted.json.commands.map((c: { requestType: string }) => c.requestType)).toEqual(['DeviceInformation', 'ProfileList']);
      const bad = await system.api('GET', '/v1/devices/LIST-A/commands?status=DONE');
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/status: unknown value\(s\) DONE; one or more of QUEUED, SENT/);
      const badSort = await system.api('GET', '/v1/devices/LIST-A/commands?sort=udid');
      expect(badSort.status).toBe(400);
      expect(badSort.json.message).toMatch(/sort: must be one of queuedAt, completedAt, status, requestType/);
    });

    it('pages and filters the devices of one command, counts covering all of them', async () => {
      const created = await system.api('POST', '/v1/commands', { udids: ['LIST-A', 'LIST-B', 'LIST-C', 'LIST-D'], command: { RequestType: 'ProfileList' }, push: false });
      expect(created.status).toBe(201);
      const uuid: string = created.json.commandUuid;
      const device = devices['LIST-C']!;
      let res = await device.idle();
      while (res.command && res.command.commandUuid !== uuid) res = await device.acknowledge(res.command.commandUuid);
      expect(res.command?.commandUuid).toBe(uuid);
      await device.acknowledge(uuid);

      const acked = await system.api('GET', `/v1/commands/${uuid}?status=ACKNOWLEDGED`);
      expect(acked.status).toBe(200);
      expect(acked.json).toMatchObject({ total: 1, counts: { QUEUED: 3, ACKNOWLEDGED: 1 }, devices: [{ udid: 'LIST-C', status: 'ACKNOWLEDGED' }] });
      const page = await system.api('GET', `/v1/commands/${uuid}?sort=udid&order=desc&limit=2&offset=1`);
      expect(page.json).toMatchObject({ total: 4, limit: 2, offset: 1 });
      expect(page.json.devices.map((d: { udid: string }) => d.udid)).toEqual(['LIST-C', 'LIST-B']);
      // The device page keeps its earlier default of 1000.
      expect((await system.api('GET', `/v1/commands/${uuid}`)).json).toMatchObject({ total: 4, limit: 1000, offset: 0 });
      expect((await system.api('GET', `/v1/commands/${uuid}?sort=name`)).status).toBe(400);
    });
  });

  describe('GET /v1/events', () => {
    const all = async (query: string): Promise<EventRow[]> => {
      const res = await system.api('GET', `/v1/events?${query}&limit=1000`);
      expect(res.status).toBe(200);
      return res.json.events;
    };

    it('follows the log with the next cursor, page by page, without gaps or repeats', async () => {
      const whole = await eventually(async () => {
        const events = await all('udid=LIST-A');
        if (!events.some((e) => e.type === 'command.error')) throw new Error('the error is not settled yet');
        return events;
      });
      expect(whole.length).toBeGreaterThan(6);
      const followed: EventRow[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const res = await system.api('GET', `/v1/events?udid=LIST-A&limit=2${after ? `&after=${after}` : ''}`);
        expect(res.json.limit).toBe(2);
        followed.push(...res.json.events);
        after = res.json.next;
        if (!res.json.hasMore) break;
      }
      // Everything settled before is in the followed pages, once each and in the same order.
      expect(followed.length).toBeGreaterThanOrEqual(whole.length);
      expect(followed.slice(0, whole.length).map((e) => e.id)).toEqual(whole.map((e) => e.id));
      expect(new Set(followed.map((e) => e.id)).size).toBe(followed.length);
      expect(after).toBe(followed[followed.length - 1]!.cursor);
      // Nothing new: the same cursor comes back, so a follower keeps its place.
      const idle = await system.api('GET', `/v1/events?udid=LIST-A&after=${after}`);
      expect(idle.json).toMatchObject({ events: [], next: after, hasMore: false });
      // A bare event number works as a starting point too.
      const legacy = await system.api('GET', `/v1/events?udid=LIST-A&after=${whole[1]!.seq}&limit=1000`);
      expect(legacy.json.events.map((e: EventRow) => e.id)).toEqual(whole.slice(2).map((e) => e.id));
      const newest = await system.api('GET', '/v1/events?udid=LIST-A&order=desc&limit=3');
      expect(newest.json.events.map((e: EventRow) => e.id)).toEqual(whole.slice(-3).reverse().map((e) => e.id));
    });

    it('filters by exact types, type prefixes and time', async () => {
      const commands = await all('udid=LIST-A&type=command.*');
      expect(commands.length).toBeGreaterThan(0);
      expect(commands.every((e) => e.type.startsWith('command.'))).toBe(true);
      expect(commands.map((e) => e.type)).toEqual(expect.arrayContaining(['command.queued.v2', 'command.delivered', 'command.acknowledged', 'command.error']));
      const mixed = await all('udid=LIST-A&type=device.enrolled,command.error');
      expect(mixed.map((e) => e.type)).toEqual(['device.enrolled', 'command.error']);
      const everything = await all('udid=LIST-A');
      const cut = everything[Math.floor(everything.length / 2)]!.occurredAt;
      const since = await all(`udid=LIST-A&since=${encodeURIComponent(cut)}`);
      const until = await all(`udid=LIST-A&until=${encodeURIComponent(cut)}`);
      expect(since.every((e) => e.occurredAt >= cut)).toBe(true);
      expect(until.every((e) => e.occurredAt < cut)).toBe(true);
      expect(since.length + until.length).toBe(everything.length);
    });

    it('refuses unknown types, bad cursors and sort parameters', async () => {
      const type = await system.api('GET', '/v1/events?type=command.exploded');
      expect(type.status).toBe(400);
      expect(type.json.message).toMatch(/unknown event type command\.exploded/);
      expect((await system.api('GET', '/v1/events?type=nothing.*')).status).toBe(400);
      expect((await system.api('GET', '/v1/events?after=yesterday')).status).toBe(400);
      expect((await system.api('GET', '/v1/events?after=999999999')).status).toBe(400);
      const sort = await system.api('GET', '/v1/events?sort=type');
      expect(sort.status).toBe(400);
      expect(sort.json.message).toMatch(/unknown parameter\(s\) sort; this list takes udid, type, since, until, limit, after, order/);
    });
  });

  it('pages and sorts enrollment configurations', async () => {
    for (const name of ['beta', 'alpha', 'gamma']) expect((await system.api('POST', '/v1/enrollment-configurations', { name })).status).toBe(201);
    const byName = await system.api('GET', '/v1/enrollment-configurations?limit=2');
    expect(byName.json).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(byName.json.configurations.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta']);
    const newest = await system.api('GET', '/v1/enrollment-configurations?sort=createdAt&order=desc');
    expect(newest.json.configurations.map((c: { name: string }) => c.name)).toEqual(['gamma', 'alpha', 'beta']);
    expect((await system.api('GET', `/v1/enrollment-configurations?topic=${topic}`)).json.total).toBe(0);
    const bad = await system.api('GET', '/v1/enrollment-configurations?sort=topic');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/must be one of name, createdAt/);
  });

  it('pages, filters and sorts push certificates, the summary covering all of them', async () => {
    const tenant = await system.apns.issuePushCertificate();
    expect((await system.api('POST', '/v1/apns/certificates', { certificate: tenant.certPem, privateKey: tenant.keyPem })).status).toBe(201);
    const first = await system.api('GET', '/v1/apns/certificates?limit=1');
    expect(first.json).toMatchObject({ total: 2, limit: 1, offset: 0, status: 'ok' });
    expect(first.json.certificates.map((c: { topic: string }) => c.topic)).toEqual([topic]);
    const latest = await system.api('GET', '/v1/apns/certificates?sort=createdAt&order=desc&limit=1');
    expect(latest.json.certificates.map((c: { topic: string }) => c.topic)).toEqual([tenant.topic]);
    const one = await system.api('GET', `/v1/apns/certificates?topic=${tenant.topic}`);
    expect(one.json).toMatchObject({ total: 1, certificates: [{ topic: tenant.topic }] });
    expect((await system.api('GET', '/v1/apns/certificates?status=expired')).json).toMatchObject({ total: 0, certificates: [] });
    expect((await system.api('GET', '/v1/apns/certificates?sort=fingerprint')).status).toBe(400);
  });

  it('documents every list parameter in the OpenAPI document', async () => {
    const doc = (await system.api('GET', '/openapi.json')).json as { paths: Record<string, { get: { parameters: Array<{ name: string; in: string }> } }> };
    const names = (path: string): string[] => doc.paths[path]!.get.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names('/v1/devices')).toEqual(expect.arrayContaining(['enrolled', 'supervised', 'os', 'osMin', 'model', 'serial', 'search', 'limit', 'offset', 'sort', 'order']));
    expect(names('/v1/devices/{udid}/commands')).toEqual(expect.arrayContaining(['status', 'requestType', 'sort', 'order', 'limit', 'offset']));
    expect(names('/v1/commands/{commandUuid}')).toEqual(expect.arrayContaining(['status', 'sort', 'limit', 'offset']));
    expect(names('/v1/events')).toEqual(expect.arrayContaining(['udid', 'type', 'since', 'until', 'after', 'limit', 'order']));
    expect(names('/v1/enrollment-configurations')).toEqual(expect.arrayContaining(['sort', 'order', 'limit', 'offset']));
    expect(names('/v1/apns/certificates')).toEqual(expect.arrayContaining(['topic', 'status', 'sort', 'limit', 'offset']));
  });
  describe('profiles, device groups, API keys and webhooks', () => {
    it('pages, sorts and filters each of them, and refuses what a list does not take', async () => {
      const payload = (type: string, settings: Record<string, unknown>) => [{ type, settings }];
      for (const [identifier, type, settings] of [
        ['com.example.lists.b', 'com.apple.applicationaccess', { allowCamera: false }],
        ['com.example.lists.a', 'com.apple.domains', { WebDomains: ['a.example'] }],
        ['com.example.lists.c', 'com.apple.applicationaccess', { allowSafari: false }],
      ] as const) {
        expect((await system.api('POST', '/v1/profiles', { name: identifier, identifier, payloads: payload(type, settings) })).status).toBe(201);
      }
      const restrictions = await system.api('GET', '/v1/profiles?payloadType=com.apple.applicationaccess&sort=identifier&order=desc&limit=1');
      expect(restrictions.json).toMatchObject({ total: 2, limit: 1, offset: 0 });
      expect(restrictions.json.profiles.map((p: { identifier: string }) => p.identifier)).toEqual(['com.example.lists.c']);
      expect((await system.api('GET', '/v1/profiles?sort=version')).status).toBe(400);

      await system.api('POST', '/v1/device-groups', { name: 'static one', udids: ['LIST-A'] });
      await system.api('POST', '/v1/device-groups', { name: 'dynamic one', rule: { supervised: true } });
      const dynamic = await system.api('GET', '/v1/device-groups?kind=dynamic');
      expect(dynamic.json).toMatchObject({ total: 1, groups: [expect.objectContaining({ name: 'dynamic one' })] });
      expect((await system.api('GET', '/v1/device-groups?kind=smart')).status).toBe(400);

      const key = await system.api('POST', '/v1/api-keys', { name: 'to revoke', scopes: ['read'] });
      await system.api('POST', '/v1/api-keys', { name: 'kept', scopes: ['read'] });
      await system.api('DELETE', `/v1/api-keys/${key.json.id}`);
      const live = await system.api('GET', '/v1/api-keys?revoked=false&sort=name');
      expect(live.json.keys.map((k: { name: string }) => k.name)).toEqual(['kept']);
      expect((await system.api('GET', '/v1/api-keys?revoked=false&limit=0')).status).toBe(400);

      for (const enabled of [true, false]) {
        const hook = await system.api('POST', '/v1/webhooks', { url: `http://127.0.0.1:9/${enabled}`, secret: 'lists-secret-0123456789', events: ['device.*'], enabled });
        expect(hook.status).toBe(201);
      }
      const enabledOnly = await system.api('GET', '/v1/webhooks?enabled=true');
      expect(enabledOnly.json).toMatchObject({ total: 1, webhooks: [expect.objectContaining({ url: 'http://127.0.0.1:9/true' })] });
      expect((await system.api('GET', '/v1/webhooks?secret=x')).status).toBe(400);
    });
  });
});
