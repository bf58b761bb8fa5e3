import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@mdm/testing';
import { type ServiceName, TestSystem } from './system';

/**
 * Operability end to end: readiness (push turns ready only with a usable push certificate), Prometheus
 * /metrics on every service, one X-Request-Id followed from the API call through the push and the device's
 * answer to the webhook, and a graceful SIGTERM for every service.
 */
jest.setTimeout(180_000);

const SERVICES: ServiceName[] = ['gateway', 'enrollment', 'command', 'push', 'profile', 'integrations'];

interface Received {
  headers: IncomingHttpHeaders;
  json: any;
}

describe('observability', () => {
  let system: TestSystem;
  let receiver: Server;
  let receiverUrl = '';
  let topic = '';
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false', WEBHOOK_POLL_INTERVAL_MS: '200', WEBHOOK_FEED_INTERVAL_MS: '100' });
  });

  afterAll(async () => {
    await system?.close('e2e-observability.log');
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const portOf = (name: ServiceName): number => system.ports[name];
  const get = async (name: ServiceName, path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`http://127.0.0.1:${portOf(name)}${path}`);
    return { status: res.status, text: await res.text() };
  };
  /** The JSON log lines of one service (the harness prefixes each with `[name]`). */
  const logsOf = (name: ServiceName): Array<Record<string, unknown>> =>
    system.logs
      .filter((l) => l.startsWith(`[${name}] `))
      .flatMap((l) => {
        try {
          return [JSON.parse(l.slice(name.length + 3)) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  it('push is not ready without a push certificate, and ready once one is stored', async () => {
    const before = await get('push', '/ready');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.text)).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', apns: 'no push certificate stored' } });

    topic = await system.uploadPushCertificate();
    await eventually(async () => {
      const after = await get('push', '/ready');
      expect(after.status).toBe(200);
      expect(JSON.parse(after.text)).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', apns: 'ok' } });
    }, { timeoutMs: 15_000 });
  });

  it('every service answers /health and /ready (Postgres and Redis; the gateway its upstreams)', async () => {
    for (const name of SERVICES) {
      expect((await get(name, '/health')).status).toBe(200);
      const ready = await get(name, '/ready');
      expect({ name, status: ready.status }).toEqual({ name, status: 200 });
      const checks = JSON.parse(ready.text).checks;
      if (name === 'gateway') expect(checks).toEqual({ enrollment: 'ok', command: 'ok', profile: 'ok', integrations: 'ok' });
      else expect(checks).toMatchObject({ postgres: 'ok', redis: 'ok' });
    }
  });

  it('answers X-Request-Id: a valid one is kept, a malformed one replaced by a UUID', async () => {
    const headers = { authorization: `Bearer ${system.apiKey}` };
    const kept = await fetch(`${system.baseUrl}/v1/devices`, { headers: { ...headers, 'x-request-id': 'client-id:42/ok' } });
    expect(kept.headers.get('x-request-id')).toBe('client-id:42/ok');
    const tooLong = await fetch(`${system.baseUrl}/v1/devices`, { headers: { ...headers, 'x-request-id': 'x'.repeat(129) } });
    expect(tooLong.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const spaced = await fetch(`${system.baseUrl}/v1/devices`, { headers: { ...headers, 'x-request-id': 'has a space' } });
    expect(spaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Even a request refused before any handler (no key) is answered with an id.
    expect((await fetch(`${system.baseUrl}/v1/devices`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('follows one X-Request-Id from the API call through the push and the answer to the webhook', async () => {
    const hook = await system.api('POST', '/v1/webhooks', { url: receiverUrl, secret: 'whsec-observability-0123', events: ['command.*'] });
    expect(hook.status).toBe(201);
    const device = await system.enrolledDevice(topic);
    const requestId = `obs-${randomUUID()}`;

    const res = await fetch(`${system.baseUrl}/v1/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.apiKey}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const { commandUuid } = (await res.json()) as { commandUuid: string };

    // APNs wakes the device, which fetches the command and answers it.
    await eventually(() => expect(system.apns.pushes.filter((p) => p.token === device.tokenHex)).toHaveLength(1), { timeoutMs: 15_000 });
    // SENT (APNs accepted the push) before the device connects, as a real device woken by it would.
    await eventually(async () => expect((await system.api('GET', `/v1/commands/${commandUuid}`)).json.devices[0].status).toBe('SENT'), { timeoutMs: 15_000 });
    const got = await device.idle();
    expect(got.command?.commandUuid).toBe(commandUuid);
    expect((await device.answer(got.command!)).status).toBe(200);

    // The webhook of the acknowledgement carries the id as its header and in the event data.
    const ack = await eventually(() => {
      const hit = received.find((r) => r.json.type === 'command.acknowledged' && r.json.data.commandUuid === commandUuid);
      expect(hit).toBeDefined();
      return hit!;
    }, { timeoutMs: 20_000 });
    expect(ack.headers['x-request-id']).toBe(requestId);
    expect(ack.json.data.correlationId).toBe(requestId);
    const queued = received.find((r) => r.json.type === 'command.queued.v2' && r.json.data.commandUuid === commandUuid);
    expect(queued?.headers['x-request-id']).toBe(requestId);
    const events = await system.api('GET', `/v1/events?udid=${device.udid}&type=command.*`);
    expect(events.json.events.filter((e: { data: { commandUuid: string } }) => e.data.commandUuid === commandUuid).every((e: { data: { correlationId?: string } }) => e.data.correlationId === requestId)).toBe(true);

    const mentions = (l: Record<string, unknown>): boolean =>
      l['requestId'] === requestId || l['correlationId'] === requestId || (Array.isArray(l['correlationIds']) && l['correlationIds'].includes(requestId));
    await eventually(() => {
      // The gateway's and the command service's access lines, the enqueue, the push, the fetch, the answer, the webhook.
      expect(logsOf('gateway').some((l) => mentions(l) && l['route'] === '/v1/commands' && l['status'] === 201)).toBe(true);
      const command = logsOf('command').filter(mentions);
      expect(command.some((l) => l['route'] === '/v1/commands')).toBe(true);
      expect(command.some((l) => String(l['msg']).includes(`command ${commandUuid} queued`))).toBe(true);
      expect(command.some((l) => String(l['msg']).includes('handed to device') && l['commandUuid'] === commandUuid)).toBe(true);
      expect(command.some((l) => l['commandUuid'] === commandUuid && l['status'] === 'Acknowledged')).toBe(true);
      expect(logsOf('push').some((l) => mentions(l) && String(l['msg']).startsWith('push batch'))).toBe(true);
      expect(logsOf('integrations').some((l) => mentions(l) && l['eventType'] === 'command.acknowledged' && l['result'] === '2xx')).toBe(true);
    }, { timeoutMs: 10_000 });
    // Every service's lines are JSON with the service's name.
    for (const name of SERVICES) expect(logsOf(name).every((l) => l['service'] === name)).toBe(true);
  });

  it('serves Prometheus metrics on every service: HTTP by route template, process, queues, feed lag', async () => {
    const metrics: Partial<Record<ServiceName, string>> = {};
    // Queue and Postgres readings are cached for 5 s; the HTTP counters are live.
    await eventually(async () => {
      for (const name of SERVICES) {
        const res = await fetch(system.metricsUrl(name));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
        metrics[name] = await res.text();
      }
      expect(metrics.push).toMatch(/mdm_jobs_processed_total\{queue="push-v1",name="push\.batch",outcome="completed"\} [1-9]/);
    }, { timeoutMs: 15_000, intervalMs: 1000 });
    for (const name of SERVICES) {
      const text = metrics[name]!;
      expect(text).toContain(`mdm_${name}_process_resident_memory_bytes`);
      expect(text).toMatch(/# TYPE mdm_http_requests_total counter/);
      expect(text).toContain('mdm_http_request_duration_seconds_bucket');
    }
    // Route templates, never raw paths: no UDID or UUID in any label.
    expect(metrics.gateway).toMatch(/mdm_http_requests_total\{method="POST",route="\/v1\/commands",status="201"\} [1-9]/);
    expect(metrics.gateway).toMatch(/mdm_http_requests_total\{method="PUT",route="\/mdm\/connect",status="200"\} [1-9]/);
    expect(metrics.gateway).toMatch(/route="\/v1\/events"/);
    expect(metrics.command).toMatch(/mdm_http_requests_total\{method="POST",route="\/v1\/commands",status="201"\} [1-9]/);
    expect(metrics.enrollment).toMatch(/route="\/v1\/devices"/);
    for (const name of SERVICES) expect(metrics[name]).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(metrics.push).toMatch(/mdm_http_requests_total\{method="GET",route="\/ready",status="200"\} [1-9]/);

    // BullMQ queues the service consumes or produces: depth per state and the oldest waiting job's age.
    for (const [name, queues] of [['command', ['command-v1', 'push-v1']], ['push', ['push-v1']], ['enrollment', ['enrollment-v1']]] as const) {
      for (const queue of queues) {
        for (const state of ['waiting', 'delayed', 'active', 'failed']) expect(metrics[name]).toMatch(new RegExp(`mdm_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+`));
        expect(metrics[name]).toMatch(new RegExp(`mdm_queue_oldest_waiting_age_seconds\\{queue="${queue}"\\} [\\d.e-]+`));
      }
    }
    expect(metrics.gateway).not.toContain('mdm_queue_jobs');
    // The gateway's port is public: its metrics are only on the internal port.
    expect(system.metricsUrl('gateway')).not.toContain(`:${portOf('gateway')}/`);
    expect((await get('gateway', '/metrics')).status).toBe(404);

    // Postgres-backed queues and the event feed.
    expect(metrics.push).toMatch(/mdm_push_queue_depth\{status="pending"\} \d+/);
    expect(metrics.push).toMatch(/mdm_push_oldest_pending_age_seconds [\d.e-]+/);
    expect(metrics.profile).toMatch(/mdm_profile_commands_unsubmitted \d+/);
    expect(metrics.integrations).toMatch(/mdm_webhooks_queue_depth\{status="dead"\} \d+/);
    expect(metrics.integrations).toMatch(/mdm_webhooks_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(metrics.integrations).toMatch(/mdm_event_feed_lag_events\{consumer="webhooks"\} \d+/);
    expect(metrics.command).toMatch(/mdm_event_feed_lag_events\{consumer="command-push-sent"\} \d+/);
    expect(metrics.integrations).toMatch(/mdm_event_feed_lag_seconds\{consumer="webhooks"\} [\d.e-]+/);
    expect(metrics.profile).toMatch(/mdm_event_feed_lag_events\{consumer="profile-service"\} \d+/);
    expect(metrics.command).toMatch(/mdm_event_feed_lag_events\{consumer="command-inventory"\} \d+/);
  });

  it('every service exits 0 within 10 s of SIGTERM', async () => {
    // The edge first, as an orchestrator draining the system would.
    for (const name of ['gateway', 'profile', 'integrations', 'command', 'push', 'enrollment'] as const) {
      const svc = system.service(name)!;
      const started = Date.now();
      await system.stop(name, 'SIGTERM');
      expect({ name, code: svc.child.exitCode, signal: svc.child.signalCode }).toEqual({ name, code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(logsOf(name).some((l) => l['msg'] === `${name} stopped`)).toBe(true);
    }
  });
});
