import * as http from 'node:http';
import * as net from 'node:net';
import { Client } from 'pg';
import { apnsIdOfRequest } from '@mdm/apns';
import { Queue } from '@mdm/contracts';
import type { DeviceSimulator } from '@mdm/testing';
import { eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * Push at fleet scale, through the gateway with the six services running as `npm start` runs them, the
 * push worker reaching the fake APNs through an HTTPS_PROXY CONNECT proxy written here. Settings are
 * shortened (coalescing window, backoffs, lease, sweeps) so each policy shows within seconds.
 */
jest.setTimeout(120_000);

describe('push at fleet scale', () => {
  let system: TestSystem;
  let topic: string;
  let db: Client;
  let proxy: http.Server;
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connects.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      sockets.add(socket).add(upstream);
      const end = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      upstream.on('error', end).on('close', end);
      socket.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    system = await TestSystem.start({
      MDM_ENROLL_INVENTORY: 'false',
      HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
      PUSH_COALESCE_MS: '1000',
      PUSH_BATCH_SIZE: '10',
      // Two batches per replica at a time, so two replicas both take part in a 60-device command.
      PUSH_CONCURRENCY: '2',
      PUSH_LEASE_MS: '5000',
      PUSH_SWEEP_INTERVAL_MS: '500',
      PUSH_RETRY_BASE_MS: '200',
      PUSH_RETRY_LIMIT: '4',
      NOTNOW_RETRY_BASE_MS: '400',
      NOTNOW_RETRY_MAX_MS: '5000',
      NOTNOW_RETRY_LIMIT: '3',
      EXPIRY_SWEEP_INTERVAL_MS: '300',
      SILENT_SWEEP_INTERVAL_MS: '300',
      SILENT_DEVICE_SECONDS: '3600',
    });
    // The system's own database (TestSystem gives each suite one).
    db = new Client({ connectionString: system.env['DATABASE_URL'] });
    await db.connect();
    topic = await system.uploadPushCertificate();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close('e2e-push-services.log');
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  afterEach(() => system.apns.respondWith(undefined));

  const pushesTo = (d: DeviceSimulator): number => system.apns.pushes.filter((p) => p.token === d.tokenHex).length;
  const requestsTo = (d: DeviceSimulator): number => system.apns.requests.filter((p) => p.token === d.tokenHex).length;
  const statusOf = async (commandUuid: string, udid: string): Promise<string> => {
    const res = await system.api('GET', `/v1/commands/${commandUuid}`);
    return res.json.devices.find((d: { udid: string }) => d.udid === udid)?.status;
  };
  const rowsFor = async (d: DeviceSimulator): Promise<Array<{ id: string; reason: string; status: string; attempt: number; outcome: string | null; outcome_reason: string | null; lease_owner: string | null }>> =>
    (await db.query(`SELECT p.* FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = $1 ORDER BY p.id`, [d.udid])).rows;
  /** The push.sent.v2 events that name the device. */
  const sentEventsFor = async (d: DeviceSimulator): Promise<number> =>
    (await db.query(`SELECT count(*)::int AS n FROM events WHERE type = 'push.sent.v2' AND data->'devices' @> jsonb_build_array(jsonb_build_object('udid', $1::text))`, [d.udid])).rows[0].n;
  const command = async (udids: string[], extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await system.api('POST', '/v1/commands', { udids, command: { RequestType: 'ProfileList' }, ...extra });
    expect(res.status).toBe(201);
    return res.json.commandUuid;
  };

  it('reaches APNs through the HTTPS_PROXY CONNECT proxy', async () => {
    const device = await system.enrolledDevice(topic);
    const c = await command([device.udid]);
    await eventually(async () => expect(await statusOf(c, device.udid)).toBe('SENT'), { timeoutMs: 20_000 });
    expect(connects.length).toBeGreaterThan(0);
    expect(connects.every((target) => target === new URL(system.apns.url).host)).toBe(true);
  });

  it('coalesces the commands queued for a device within the window into one push', async () => {
    const device = await system.enrolledDevice(topic);
    const uuids = await Promise.all(Array.from({ length: 5 }, () => command([device.udid])));
    for (const c of uuids) await eventually(async () => expect(await statusOf(c, device.udid)).toBe('SENT'), { timeoutMs: 20_000 });
    expect(pushesTo(device)).toBe(1);
    // A sent request leaves no row: the device's status and push.sent.v2 say it.
    expect(await rowsFor(device)).toEqual([]);
    expect(await sentEventsFor(device)).toBe(1);
    const view = await system.api('GET', `/v1/devices/${device.udid}`);
    expect(view.json.push).toMatchObject({ pushable: true, lastOutcome: 'sent' });
  });

  it('POST /v1/push pushes on demand, 404 naming unknown devices, 409 for unenrolled ones', async () => {
    const device = await system.enrolledDevice(topic);
    const res = await system.api('POST', '/v1/push', { udids: [device.udid] });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ pushed: 1, skipped: [] });
    await eventually(() => expect(pushesTo(device)).toBe(1), { timeoutMs: 10_000 });

    const unknown = await system.api('POST', '/v1/push', { udids: [device.udid, 'NO-SUCH-DEVICE'] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toMatch(/NO-SUCH-DEVICE/);
    const gone = await system.enrolledDevice(topic);
    expect((await gone.checkOut()).status).toBe(200);
    const conflict = await system.api('POST', '/v1/push', { udids: [gone.udid] });
    expect(conflict.status).toBe(409);
    expect(conflict.json.message).toContain(gone.udid);
    const bad = await system.api('POST', '/v1/push', { udids: [] });
    expect(bad.status).toBe(400);
  });

  it('marks a token dead on 410 Unregistered or 400 BadDeviceToken, stops pushing it, and resumes after a TokenUpdate', async () => {
    const unregistered = await system.enrolledDevice(topic);
    const badToken = await system.enrolledDevice(topic);
    const deadSince = Date.now() - 60_000;
    const dead = new Map<string, { status: number; reason: string; timestamp?: number }>([
      [unregistered.tokenHex, { status: 410, reason: 'Unregistered', timestamp: deadSince }],
      [badToken.tokenHex, { status: 400, reason: 'BadDeviceToken' }],
    ]);
    system.apns.respondWith((req) => dead.get(req.token));
    await command([unregistered.udid, badToken.udid]);
    for (const [d, reason] of [[unregistered, 'Unregistered'], [badToken, 'BadDeviceToken']] as const) {
      await eventually(async () => {
        const view = await system.api('GET', `/v1/devices/${d.udid}`);
        expect(view.json.push).toMatchObject({ pushable: false, tokenInvalidReason: reason, lastOutcome: `dead-token: ${reason}` });
      }, { timeoutMs: 20_000 });
      expect((await system.events(`udid=${d.udid}`)).find((e) => e.type === 'push.failed')?.data).toMatchObject({ outcome: 'dead-token', reason });
    }
    const invalidAt = (await db.query('SELECT s.token_invalid_at FROM device_push_status s JOIN devices d ON d.id = s.device_id WHERE d.udid = $1', [unregistered.udid])).rows[0].token_invalid_at as Date;
    expect(invalidAt.getTime()).toBe(deadSince);

    // Not pushed again: no request row, nothing sent, the command waits.
    const before = requestsTo(unregistered);
    const rowsBefore = (await rowsFor(unregistered)).length;
    const c = await command([unregistered.udid]);
    expect((await rowsFor(unregistered)).length).toBe(rowsBefore);
    const manual = await system.api('POST', '/v1/push', { udids: [unregistered.udid] });
    expect(manual.status).toBe(202);
    expect(manual.json.pushed).toBe(0);
    expect(manual.json.skipped[0]).toMatchObject({ udid: unregistered.udid, reason: expect.stringMatching(/Unregistered/) });
    expect(requestsTo(unregistered)).toBe(before);
    expect(await statusOf(c, unregistered.udid)).toBe('QUEUED');

    // A newer TokenUpdate makes it pushable again.
    dead.clear();
    expect((await unregistered.tokenUpdate()).status).toBe(200);
    expect((await system.api('GET', `/v1/devices/${unregistered.udid}`)).json.push.pushable).toBe(true);
    expect((await system.api('POST', '/v1/push', { udids: [unregistered.udid] })).json.pushed).toBe(1);
    await eventually(async () => expect(await statusOf(c, unregistered.udid)).toBe('SENT'), { timeoutMs: 20_000 });
  });

  it('backs off and retries 429 and 5xx until APNs accepts', async () => {
    const device = await system.enrolledDevice(topic);
    const answers = [
      { status: 429, reason: 'TooManyRequests' },
      { status: 503, reason: 'ServiceUnavailable' },
    ];
    system.apns.respondWith((req) => (req.token === device.tokenHex ? answers.shift() : undefined));
    const c = await command([device.udid]);
    await eventually(async () => expect(await statusOf(c, device.udid)).toBe('SENT'), { timeoutMs: 20_000 });
    const rows = await rowsFor(device);
    expect(rows.map((r) => [r.attempt, r.status, r.outcome, r.outcome_reason])).toEqual([
      [1, 'failed', 'retryable', 'TooManyRequests'],
      [2, 'failed', 'retryable', 'ServiceUnavailable'],
    ]);
    const times = system.apns.requests.filter((r) => r.token === device.tokenHex).map((r) => r.receivedAt);
    expect(times).toHaveLength(3);
    // Base 200 ms with equal jitter: at least 100 ms, then at least 200 ms.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(100);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(200);
  });

  it('re-pushes a device after NotNow with exponential backoff, up to the limit', async () => {
    const device = await system.enrolledDevice(topic);
    const c = await command([device.udid], { push: false });
    const gaps: number[] = [];
    for (let round = 1; round <= 4; round++) {
      const got = await device.idle();
      expect(got.command?.commandUuid).toBe(c);
      const pushed = pushesTo(device);
      await device.notNow(c);
      const at = Date.now();
      expect(await statusOf(c, device.udid)).toBe('NOTNOW');
      if (round <= 3) {
        await eventually(() => expect(pushesTo(device)).toBe(pushed + 1), { timeoutMs: 15_000 });
        gaps.push(system.apns.pushes.filter((p) => p.token === device.tokenHex).at(-1)!.receivedAt - at);
      }
    }
    // Base 400 ms doubling, equal jitter: >= 200, >= 400, >= 800 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[1]).toBeGreaterThanOrEqual(350);
    expect(gaps[2]).toBeGreaterThanOrEqual(750);
    // The fourth NotNow is past the limit: no further push was requested (each of the three above was sent).
    expect((await rowsFor(device)).filter((r) => r.status === 'pending')).toHaveLength(0);
    const last = await device.idle();
    expect(last.command?.commandUuid).toBe(c);
    await device.acknowledge(c);
    expect(await statusOf(c, device.udid)).toBe('ACKNOWLEDGED');
  });

  it('expires a command at its expiresAt without the device connecting', async () => {
    const device = await system.enrolledDevice(topic);
    const c = await command([device.udid], { push: false, expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(await statusOf(c, device.udid)).toBe('QUEUED');
    await eventually(async () => expect(await statusOf(c, device.udid)).toBe('EXPIRED'), { timeoutMs: 15_000 });
    expect((await device.idle()).command).toBeUndefined();
  });

  it('re-pushes enrolled devices that have pending commands but stayed silent too long', async () => {
    const device = await system.enrolledDevice(topic);
    const quiet = await system.enrolledDevice(topic);
    await command([device.udid, quiet.udid], { push: false });
    expect(pushesTo(device)).toBe(0);
    // Silent for two hours (the threshold is one); `quiet` has nothing pending once it answers.
    const got = await quiet.idle();
    await quiet.acknowledge(got.command!.commandUuid);
    await db.query(`UPDATE devices SET last_seen_at = now() - interval '2 hours' WHERE udid = ANY($1)`, [[device.udid, quiet.udid]]);
    // The command asked for no push: this one is the sweep's.
    await eventually(() => expect(pushesTo(device)).toBe(1), { timeoutMs: 15_000 });
    expect(pushesTo(quiet)).toBe(0);
  });

  it('serves Prometheus metrics on the push worker health port', async () => {
    const res = await fetch(`http://127.0.0.1:${system.ports.push}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/mdm_push_pushes_total\{outcome="sent"\} [1-9]/);
    expect(text).toMatch(/mdm_push_pushes_total\{outcome="dead-token"\} [1-9]/);
    expect(text).toContain('mdm_push_apns_latency_seconds_bucket');
    expect(text).toMatch(/mdm_push_in_flight \d+/);
    expect(text).toMatch(/mdm_push_queue_depth\{status="pending"\} \d+/);
    expect(text).toContain('mdm_push_process_resident_memory_bytes');
  });

  it('marks the command SENT from the push.sent.v2 event even when the command service was down and its queue lost', async () => {
    const device = await system.enrolledDevice(topic);
    system.apns.respondWith((req) => (req.token === device.tokenHex ? { status: 200, delayMs: 1500 } : undefined));
    const c = await command([device.udid]);
    await eventually(async () => expect((await rowsFor(device)).map((r) => [r.status, r.lease_owner !== null])).toEqual([['pending', true]]), { timeoutMs: 20_000, intervalMs: 20 });
    await system.stop('command', 'SIGKILL');
    await eventually(async () => expect(await rowsFor(device)).toEqual([]), { timeoutMs: 20_000 });
    // Whatever the command queue held is gone, as after a Redis FLUSHALL.
    await system.dropQueue(Queue.Command);
    await system.restart('command');
    await eventually(async () => expect(await statusOf(c, device.udid)).toBe('SENT'), { timeoutMs: 20_000 });
  });

  describe('replicas', () => {
    it('share the work, and kill -9 of one mid-batch leaves every push sent exactly once', async () => {
      await system.startReplica('push');
      const first = system.service('push')!;
      const devices: DeviceSimulator[] = [];
      for (let i = 0; i < 6; i++) devices.push(...(await Promise.all(Array.from({ length: 10 }, () => system.enrolledDevice(topic)))));
      const tokens = new Set(devices.map((d) => d.tokenHex));
      // Slow answers keep the first batches in flight long enough to kill a worker in the middle. They stay
      // slow after the kill: frames the killed worker wrote just before dying still reach APNs a few ms later
      // (as they would reach Apple, which would deliver them: a send that cannot be told from a lost one, so
      // the survivor sends it again, at least once). Answered slowly, they find their connection gone.
      system.apns.respondWith((req) => (tokens.has(req.token) ? { status: 200, delayMs: 2500 } : undefined));
      const c = await command(devices.map((d) => d.udid));

      const ids = devices.map((d) => d.udid);
      const claims = async (): Promise<Array<{ id: string; lease_owner: string }>> =>
        (await db.query(`SELECT p.id, p.lease_owner FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = ANY($1) AND p.lease_until IS NOT NULL`, [ids])).rows;
      const byFirst = await eventually(async () => {
        const rows = await claims();
        const mine = rows.filter((r) => r.lease_owner.includes(`:${first.child.pid}:`));
        if (!mine.length) throw new Error('the first replica has no batch in flight yet');
        return mine;
      }, { timeoutMs: 20_000, intervalMs: 20 });
      await system.stop('push', 'SIGKILL');
      const killedAt = Date.now();

      await eventually(async () => {
        const { rows } = await db.query(
          `SELECT p.status, count(*)::int AS n FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = ANY($1) GROUP BY p.status`,
          [ids],
        );
        expect(rows).toEqual([]);
      }, { timeoutMs: 40_000, intervalMs: 200 });
      // Any device pushed other than once, with when each of its requests reached APNs and was answered.
      const offCount = devices.filter((d) => pushesTo(d) !== 1).map((d) => ({
        udid: d.udid,
        requests: system.apns.requests
          .filter((r) => r.token === d.tokenHex)
          .map((r) => ({ connection: r.connection, receivedAfterKillMs: r.receivedAt - killedAt, answeredAfterKillMs: r.answeredAt === undefined ? null : r.answeredAt - killedAt })),
      }));
      expect(offCount).toEqual([]);
      // The killed worker's claims were taken over by the survivor: APNs accepted each of them once.
      for (const r of byFirst) expect(system.apns.pushes.filter((p) => p.apnsId === apnsIdOfRequest(String(r.id)))).toHaveLength(1);
      await eventually(async () => {
        const view = await system.api('GET', `/v1/commands/${c}`);
        expect(view.json.devices.every((d: { status: string }) => d.status === 'SENT')).toBe(true);
      }, { timeoutMs: 20_000 });
    });

    it('drains in-flight pushes on SIGTERM before exiting', async () => {
      const survivor = system.service('push')!;
      const devices = await Promise.all(Array.from({ length: 5 }, () => system.enrolledDevice(topic)));
      const tokens = new Set(devices.map((d) => d.tokenHex));
      system.apns.respondWith((req) => (tokens.has(req.token) ? { status: 200, delayMs: 1500 } : undefined));
      await command(devices.map((d) => d.udid));
      await eventually(async () => {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = ANY($1) AND p.lease_until IS NOT NULL`, [devices.map((d) => d.udid)]);
        expect(rows[0].n).toBe(5);
      }, { timeoutMs: 20_000, intervalMs: 20 });
      await system.stopReplica(survivor, 'SIGTERM');
      const { rows } = await db.query(`SELECT p.status FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = ANY($1)`, [devices.map((d) => d.udid)]);
      expect(rows).toEqual([]);
      for (const d of devices) expect(pushesTo(d)).toBe(1);
      await system.restart('push');
    });

    it('renew the lease of a batch APNs answers slowly, so no replica sends it a second time', async () => {
      const other = await system.startReplica('push');
      const device = await system.enrolledDevice(topic);
      // Longer than PUSH_LEASE_MS (5 s): without renewal the sweep would hand the request to a replica again.
      system.apns.respondWith((req) => (req.token === device.tokenHex ? { status: 200, delayMs: 8_000 } : undefined));
      await command([device.udid]);
      await eventually(async () => expect(await rowsFor(device)).toEqual([]), { timeoutMs: 30_000, intervalMs: 200 });
      expect(requestsTo(device)).toBe(1);
      expect(pushesTo(device)).toBe(1);
      await system.stopReplica(other, 'SIGTERM');
    });
  });

  it('stops the topic on a 403 certificate error, alerts, and resumes with a new certificate', async () => {
    const refused = await system.enrolledDevice(topic);
    const other = await system.enrolledDevice(topic);
    system.apns.respondWith((req) => (req.token === refused.tokenHex ? { status: 403, reason: 'BadCertificate' } : undefined));
    await command([refused.udid]);
    await eventually(async () => {
      const { rows } = await db.query(`SELECT data FROM events WHERE type = 'push.topic_stopped' AND data->>'topic' = $1`, [topic]);
      expect(rows).toHaveLength(1);
      expect(rows[0].data.reason).toMatch(/BadCertificate/);
    }, { timeoutMs: 20_000 });
    expect(system.logs.some((l) => l.includes('OPERATOR ALERT') && l.includes(topic))).toBe(true);

    // Every replica refuses to use the refused certificate: nothing reaches APNs for the topic.
    await command([other.udid]);
    await eventually(async () => {
      const rows = await rowsFor(other);
      expect(rows.at(-1)).toMatchObject({ status: 'failed', outcome: 'certificate-error', outcome_reason: expect.stringMatching(/topic stopped/) });
    }, { timeoutMs: 20_000 });
    expect(requestsTo(other)).toBe(0);

    // A renewed certificate (same topic) lifts the stop.
    system.apns.respondWith(undefined);
    const renewed = await system.apns.issuePushCertificate({ topic });
    expect((await system.api('PUT', '/v1/apns/certificate', { certificate: renewed.certPem, privateKey: renewed.keyPem })).status).toBe(200);
    await eventually(async () => {
      expect((await system.api('POST', '/v1/push', { udids: [other.udid] })).status).toBe(202);
      await eventually(() => expect(pushesTo(other)).toBe(1), { timeoutMs: 2000 });
    }, { timeoutMs: 30_000, intervalMs: 500 });
  });
});
