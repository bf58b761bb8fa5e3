import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePlistDict } from '@mdm/protocol';
import { connectSession, type DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * Signed webhooks end to end: the six services as `npm start` runs them, a receiver written here that
 * verifies every signature the way docs/events.md tells integrators to, and short retry settings.
 */
jest.setTimeout(180_000);

/** What a receiver does with X-MDM-Signature (the docs' snippet, written again here on purpose). */
function verify(secret: string, header: string | undefined, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  verified: boolean;
  /** The status answered; 0 while the request is held open. */
  status: number;
}

type Answer = number | 'hang';

/** The device a delivered event is about: its `udid`, the one device a summarised (`.v2`) event names, or NanoMDM's. */
function udidOf(json: any): string | undefined {
  const devices = json?.data?.devices;
  if (Array.isArray(devices)) return devices.length === 1 ? devices[0]?.udid : undefined;
  return json?.data?.udid ?? json?.checkin_event?.udid ?? json?.acknowledge_event?.udid;
}

/** A real HTTP server: one path per webhook, each with its own secret and behaviour. */
class Receiver {
  readonly received: Received[] = [];
  private readonly behaviour = new Map<string, (r: Received, n: number) => Answer>();
  private readonly secrets = new Map<string, string>();
  readonly hanging: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          /* recorded as is */
        }
        const secret = this.secrets.get(path) ?? '';
        const rec: Received = { path, headers: req.headers, body, json, verified: verify(secret, req.headers['x-mdm-signature'] as string | undefined, body), status: 0 };
        this.received.push(rec);
        const n = this.received.filter((r) => r.path === path).length;
        // A receiver refuses what it cannot verify; the sender retries it like any failure.
        const answer: Answer = rec.verified ? (this.behaviour.get(path)?.(rec, n) ?? 200) : 401;
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        rec.status = answer;
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hook(path: string, secret: string, behaviour?: (r: Received, n: number) => Answer): string {
    this.secrets.set(path, secret);
    if (behaviour) this.behaviour.set(path, behaviour);
    return this.url + path;
  }

  setBehaviour(path: string, behaviour: (r: Received, n: number) => Answer): void {
    this.behaviour.set(path, behaviour);
  }

  /** Requests to `path` answered 2xx, in the order they were answered. */
  accepted(path: string, udid?: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status >= 200 && r.status < 300 && (!udid || udidOf(r.json) === udid));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('webhooks end to end', () => {
  let system: TestSystem;
  let topic: string;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    system = await TestSystem.start({
      MDM_ENROLL_INVENTORY: 'false',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '400',
      WEBHOOK_RETRY_WINDOW: '8s',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_LEASE_MS: '6000',
      WEBHOOK_POLL_INTERVAL_MS: '200',
      WEBHOOK_FEED_INTERVAL_MS: '100',
    });
    topic = await system.uploadPushCertificate();
  });

  afterAll(async () => {
    await system?.close('e2e-webhooks.log');
    await receiver.close();
  });

  const createHook = async (body: Record<string, unknown>): Promise<string> => {
    const res = await system.api('POST', '/v1/webhooks', body);
    expect(res.status).toBe(201);
    return res.json.id as string;
  };

  /** The device's events of these types in commit order, as the event log has them. */
  const logged = async (udid: string, type: string): Promise<Array<{ id: string; type: string }>> => {
    return system.events(`udid=${udid}&type=${type}`);
  };

  /** Queues commands without pushing and lets the device fetch and acknowledge them all. */
  const runCommands = async (device: DeviceSimulator, commands: Array<Record<string, unknown>>): Promise<void> => {
    for (const command of commands) {
      const res = await system.api('POST', '/v1/commands', { udids: [device.udid], command, push: false });
      expect(res.status).toBe(201);
    }
    await connectSession(device);
  };

  it('manages webhooks: validation naming the bad pattern, the secret never shown', async () => {
    const bad = await system.api('POST', '/v1/webhooks', { url: `${receiver.url}/x`, secret: 'a-secret-of-16-chars', events: ['command.*', 'device.enroled'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/device\.enroled/);
    const noPrefix = await system.api('POST', '/v1/webhooks', { url: `${receiver.url}/x`, secret: 'a-secret-of-16-chars', events: ['gadget.*'] });
    expect(noPrefix.status).toBe(400);
    expect(noPrefix.json.message).toMatch(/gadget\./);
    expect((await system.api('POST', '/v1/webhooks', { url: 'file:///etc/passwd', secret: 'a-secret-of-16-chars', events: ['command.*'] })).status).toBe(400);
    expect((await system.api('POST', '/v1/webhooks', { url: `${receiver.url}/x`, secret: 'short', events: ['command.*'] })).status).toBe(400);

    const secret = 'whsec-manage-0123456789';
    const id = await createHook({ url: `${receiver.url}/manage`, secret, events: ['push.*'], enabled: false });
    const got = await system.api('GET', `/v1/webhooks/${id}`);
    expect(got.json).toMatchObject({ id, url: `${receiver.url}/manage`, events: ['push.*'], format: 'mdm', enabled: false, secretHint: '…6789' });
    expect(JSON.stringify(got.json)).not.toContain(secret);
    const listed = await system.api('GET', '/v1/webhooks');
    expect(JSON.stringify(listed.json)).not.toContain(secret);
    const patched = await system.api('PATCH', `/v1/webhooks/${id}`, { events: ['push.sent'], secret: 'another-secret-ABCD' });
    expect(patched.json).toMatchObject({ events: ['push.sent'], secretHint: '…ABCD', enabled: false });
    expect((await system.api('PATCH', `/v1/webhooks/${id}`, {})).status).toBe(400);
    expect((await system.api('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    expect((await system.api('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('delivers signed events with stable ids and the documented headers', async () => {
    const secret = 'whsec-signed-0123456789';
    const hookId = await createHook({ url: receiver.hook('/signed', secret), secret, events: ['device.*'] });
    const device = await system.enrolledDevice(topic);
    const expected = await logged(device.udid, 'device.*');
    expect(expected.map((e) => e.type)).toEqual(['device.authenticated', 'device.token_updated', 'device.enrolled']);
    const got = await eventually(() => {
      const mine = receiver.accepted('/signed', device.udid);
      expect(mine).toHaveLength(3);
      return mine;
    }, { timeoutMs: 20_000 });
    expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
    for (const r of got) {
      expect(r.verified).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-mdm-event-id']).toBe(r.json.id);
      expect(r.headers['x-mdm-event-type']).toBe(r.json.type);
      expect(r.headers['x-mdm-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(r.json).sort()).toEqual(['data', 'id', 'occurredAt', 'type']);
      expect(r.json.data.udid).toBe(device.udid);
    }
    // The check-in events carry the device's own message.
    expect(parsePlistDict(Buffer.from(got[0]!.json.data.rawPayload, 'base64'))).toMatchObject({ MessageType: 'Authenticate', UDID: device.udid });

    const page = await system.api('GET', `/v1/webhooks/${hookId}/deliveries?status=delivered&type=device.enrolled`);
    expect(page.json).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(page.json.deliveries[0]).toMatchObject({ eventType: 'device.enrolled', status: 'delivered', attempts: 1, udid: device.udid, origin: 'feed' });
    expect((await system.api('GET', `/v1/webhooks/${hookId}/deliveries?status=lost`)).status).toBe(400);
    await system.api('PATCH', `/v1/webhooks/${hookId}`, { enabled: false });
  });

  it('takes * as every event: device and command events alike, exactly as the log has them', async () => {
    const secret = 'whsec-every-0123456789';
    const hookId = await createHook({ url: receiver.hook('/every', secret), secret, events: ['*'] });
    expect((await system.api('GET', `/v1/webhooks/${hookId}`)).json.events).toEqual(['*']);
    const device = await system.enrolledDevice(topic);
    await runCommands(device, [{ RequestType: 'ProfileList' }]);
    const expected = await system.events(`udid=${device.udid}`);
    expect(expected.map((e) => e.type)).toEqual(expect.arrayContaining(['device.enrolled', 'command.queued.v2', 'command.acknowledged']));
    const got = await eventually(() => {
      const mine = receiver.accepted('/every', device.udid);
      expect(mine.length).toBeGreaterThanOrEqual(expected.length);
      return mine;
    }, { timeoutMs: 20_000 });
    expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
    await system.api('PATCH', `/v1/webhooks/${hookId}`, { enabled: false });
  });

  it('a receiver that fails for a while still gets everything, each device in order, with two replicas sending', async () => {
    // A second replica competes for the same deliveries: nothing may be sent twice or out of order.
    const replica = await system.startReplica('integrations');
    const secret = 'whsec-flaky-0123456789';
    // The first six requests fail (a mix of errors), later ones succeed.
    const hookId = await createHook({
      url: receiver.hook('/flaky', secret, (_r, n) => (n <= 6 ? [500, 503, 429, 502, 404, 500][n - 1]! : 200)),
      secret,
      events: ['command.*'],
    });
    const a = await system.enrolledDevice(topic);
    const b = await system.enrolledDevice(topic);
    const info = { RequestType: 'DeviceInformation', Queries: ['OSVersion'] };
    await Promise.all([
      runCommands(a, [{ RequestType: 'ProfileList' }, { RequestType: 'CertificateList' }, info]),
      runCommands(b, [{ RequestType: 'ProfileList' }, info]),
    ]);
    for (const device of [a, b]) {
      const expected = await logged(device.udid, 'command.*');
      expect(expected.length).toBeGreaterThanOrEqual(6);
      const got = await eventually(() => {
        const mine = receiver.accepted('/flaky', device.udid);
        expect(mine.length).toBeGreaterThanOrEqual(expected.length);
        return mine;
      }, { timeoutMs: 30_000 });
      // Exactly the device's events, once each, in commit order, although the first ones needed retries.
      expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
    }
    expect(receiver.received.filter((r) => r.path === '/flaky' && r.status >= 400)).toHaveLength(6);
    const retried = await system.api('GET', `/v1/webhooks/${hookId}/deliveries?limit=1000`);
    expect(retried.json.deliveries.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    expect(retried.json.deliveries.some((d: { attempts: number }) => d.attempts > 1)).toBe(true);
    await system.api('PATCH', `/v1/webhooks/${hookId}`, { enabled: false });
    await system.stopReplica(replica);
  });

  it('dead-letters after the retry window; a manual retry and a time-range replay send it again', async () => {
    const secret = 'whsec-dead-0123456789';
    let up = false;
    const hookId = await createHook({ url: receiver.hook('/dead', secret, () => (up ? 200 : 503)), secret, events: ['device.enrolled'] });
    const from = new Date().toISOString();
    const device = await system.enrolledDevice(topic);
    const dead = await eventually(async () => {
      const res = await system.api('GET', `/v1/webhooks/${hookId}/deliveries?status=dead`);
      expect(res.json.total).toBe(1);
      return res.json.deliveries[0];
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect(dead).toMatchObject({ eventType: 'device.enrolled', udid: device.udid, status: 'dead', lastHttpStatus: 503 });
    const detail = await system.api('GET', `/v1/webhooks/${hookId}/deliveries/${dead.id}`);
    expect(detail.json.attemptLog.length).toBeGreaterThanOrEqual(3);
    expect(detail.json.attemptLog.at(-1)).toMatchObject({ outcome: 'dead', httpStatus: 503 });
    expect(detail.json.attemptLog.slice(0, -1).every((a: { outcome: string }) => a.outcome === 'retry')).toBe(true);
    expect(receiver.accepted('/dead')).toHaveLength(0);

    up = true;
    const retried = await system.api('POST', `/v1/webhooks/${hookId}/deliveries/${dead.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ id: dead.id, status: 'pending' });
    await eventually(() => expect(receiver.accepted('/dead', device.udid)).toHaveLength(1), { timeoutMs: 15_000 });
    const eventId = receiver.accepted('/dead')[0]!.json.id;
    expect(receiver.accepted('/dead')[0]!.headers['x-mdm-delivery-id']).toBe(dead.id);

    const replay = await system.api('POST', `/v1/webhooks/${hookId}/replay`, { from, to: new Date().toISOString() });
    expect(replay.status).toBe(202);
    expect(replay.json).toEqual({ queued: 1, truncated: false });
    await eventually(() => expect(receiver.accepted('/dead', device.udid)).toHaveLength(2), { timeoutMs: 15_000 });
    const again = receiver.accepted('/dead')[1]!;
    // Same event id (receivers de-duplicate on it), another delivery.
    expect(again.json.id).toBe(eventId);
    expect(again.headers['x-mdm-delivery-id']).not.toBe(dead.id);
    const empty = await system.api('POST', `/v1/webhooks/${hookId}/replay`, { from, to: new Date().toISOString(), types: ['command.*'] });
    expect(empty.json.queued).toBe(0);
    const all = await system.api('GET', `/v1/webhooks/${hookId}/deliveries`);
    expect(all.json.deliveries.map((d: { origin: string; status: string }) => [d.origin, d.status]).sort()).toEqual([
      ['feed', 'delivered'],
      ['replay', 'delivered'],
    ]);
    await system.api('DELETE', `/v1/webhooks/${hookId}`);
  });

  it('loses nothing when the integrations service is killed (SIGKILL) mid-delivery', async () => {
    const secret = 'whsec-crash-0123456789';
    let held: (() => void) | undefined;
    const heldRequest = new Promise<void>((resolve) => (held = resolve));
    // The first request is held open: the service dies with it on the wire.
    const hookId = await createHook({
      url: receiver.hook('/crash', secret, (_r, n) => {
        if (n === 1) {
          held?.();
          return 'hang';
        }
        return 200;
      }),
      secret,
      events: ['device.*'],
    });
    const first = await system.enrolledDevice(topic);
    await heldRequest;
    await system.stop('integrations', 'SIGKILL');
    // Events keep being written while it is down; the feed cursor waits for it.
    const second = await system.enrolledDevice(topic);
    await system.restart('integrations');
    for (const device of [first, second]) {
      const expected = await logged(device.udid, 'device.*');
      const got = await eventually(() => {
        const ids = new Set(receiver.accepted('/crash', device.udid).map((r) => r.json.id));
        expect(ids.size).toBe(expected.length);
        return receiver.accepted('/crash', device.udid);
      }, { timeoutMs: 30_000 });
      // In order, each once (the held one was never answered, so the receiver saw it twice but accepted it once).
      expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
    }
    const heldId = receiver.received.find((r) => r.path === '/crash')!.json.id;
    expect(receiver.received.filter((r) => r.path === '/crash' && r.json.id === heldId)).toHaveLength(2);
    const page = await system.api('GET', `/v1/webhooks/${hookId}/deliveries?limit=1000`);
    expect(page.json.deliveries).toHaveLength(6);
    expect(page.json.deliveries.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    await system.api('PATCH', `/v1/webhooks/${hookId}`, { enabled: false });
  });

  it('speaks the NanoMDM webhook format', async () => {
    const secret = 'whsec-nano-0123456789';
    await createHook({ url: receiver.hook('/nano', secret), secret, events: ['device.*', 'command.*'], format: 'nanomdm' });
    const device = await system.enrolledDevice(topic);
    const created = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] }, push: false });
    const commandUuid: string = created.json.commandUuid;
    await connectSession(device);
    const got = await eventually(() => {
      const mine = receiver.accepted('/nano', device.udid);
      expect(mine.map((r) => r.json.topic)).toEqual(['mdm.Authenticate', 'mdm.TokenUpdate', 'mdm.Connect']);
      return mine;
    }, { timeoutMs: 20_000 });
    const [auth, token, connect] = got.map((r) => r.json);
    for (const r of got) expect(r.verified).toBe(true);
    expect(auth).toEqual({ topic: 'mdm.Authenticate', event_id: expect.any(String), created_at: expect.any(String), checkin_event: { udid: device.udid, raw_payload: expect.any(String) } });
    expect(parsePlistDict(Buffer.from(auth.checkin_event.raw_payload, 'base64'))).toMatchObject({ MessageType: 'Authenticate', UDID: device.udid, Topic: topic });
    expect(token.checkin_event).toMatchObject({ udid: device.udid, token_update_tally: 1 });
    const tokenPlist = parsePlistDict(Buffer.from(token.checkin_event.raw_payload, 'base64'));
    expect(tokenPlist).toMatchObject({ MessageType: 'TokenUpdate', UDID: device.udid, PushMagic: device.pushMagic });
    expect(tokenPlist).not.toHaveProperty('UnlockToken');
    expect(connect.acknowledge_event).toMatchObject({ udid: device.udid, status: 'Acknowledged', command_uuid: commandUuid });
    expect(parsePlistDict(Buffer.from(connect.acknowledge_event.raw_payload, 'base64'))).toMatchObject({
      UDID: device.udid,
      CommandUUID: commandUuid,
      Status: 'Acknowledged',
      QueryResponses: expect.objectContaining({ OSVersion: expect.any(String) }),
    });
  });
});
