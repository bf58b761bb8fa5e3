import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { QueueName } from '@mdm/contracts';
import { createRedis } from '@mdm/messaging';
import { createCertificateAuthority } from '@mdm/pki';
import { createDeviceIdentity, DeviceSimulator, FakeApns, freePort } from '@mdm/testing';
// CommonJS helper shared with `npm start`, so the tests start the services exactly as it does.
import * as services from '../../scripts/services';

export type { RunningService, ServiceName } from '../../scripts/services';

async function adminClient(databaseUrl: string): Promise<Client> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

export async function createDatabase(baseUrl: string, suffix: string): Promise<string> {
  const url = new URL(baseUrl);
  const name = `${url.pathname.slice(1) || 'mdm_test'}_${suffix}`;
  const client = await adminClient(baseUrl);
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = await adminClient(databaseUrl);
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * The whole system for an end-to-end test: the six services as processes (built code, real
 * Postgres and Redis of this test run), a fake APNs, and a device CA the gateway trusts.
 */
export class TestSystem {
  readonly logs: string[] = [];
  private running: services.RunningService[] = [];

  private constructor(
    readonly apns: FakeApns,
    readonly deviceCa: { certPem: string; keyPem: string },
    readonly env: NodeJS.ProcessEnv,
    readonly ports: Record<services.ServiceName, number>,
    /** The internal metrics port of the services that have one (the gateway; METRICS_PORT). */
    readonly metricsPorts: Partial<Record<services.ServiceName, number>>,
    readonly apiKey: string,
  ) {}

  static async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<TestSystem> {
    // Each system gets its own database and Redis prefix: spec files never see each other's
    // devices, queues or sealed secrets (each system has its own MDM_SECRET_KEY).
    const suffix = randomBytes(4).toString('hex');
    const databaseUrl = await createDatabase(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/mdm_test', suffix);
    const apns = await FakeApns.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'mdm-e2e-'));
    const deviceCa = await createCertificateAuthority({ commonName: 'E2E Device CA' });
    writeFileSync(path.join(dir, 'apns-ca.pem'), apns.caPem);
    writeFileSync(path.join(dir, 'device-ca.pem'), deviceCa.certPem);
    const apiKey = randomBytes(24).toString('base64url');
    const secretKey = randomBytes(32).toString('base64');
    // A port that was free a moment ago can be taken by another process before our service binds
    // it; such a start fails fast (EADDRINUSE) and is tried again on other ports.
    for (let attempt = 1; ; attempt++) {
      const ports = {
        gateway: await freePort(),
        enrollment: await freePort(),
        command: await freePort(),
        push: await freePort(),
        profile: await freePort(),
        integrations: await freePort(),
      };
      const metricsPorts = Object.fromEntries(
        await Promise.all(services.SERVICES.filter((s) => s.metricsPort !== undefined).map(async (s) => [s.name, await freePort()] as const)),
      );
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        MDM_API_KEY: apiKey,
        MDM_SECRET_KEY: secretKey,
        APNS_URL: apns.url,
        APNS_CA_FILE: path.join(dir, 'apns-ca.pem'),
        MDM_DEVICE_CA_FILE: path.join(dir, 'device-ca.pem'),
        MDM_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
        DATABASE_URL: databaseUrl,
        MDM_REDIS_PREFIX: `${process.env['MDM_REDIS_PREFIX'] ?? 'mdmtest'}-${suffix}`,
        LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'info',
        ...extraEnv,
      };
      const system = new TestSystem(apns, deviceCa, env, ports, metricsPorts, apiKey);
      try {
        system.running = await services.startAll(system.startOptions());
        return system;
      } catch (err) {
        if (attempt < 3 && system.logs.some((l) => l.includes('EADDRINUSE'))) continue;
        await apns.close();
        await dropDatabase(databaseUrl);
        // The services' own last words say why start-up failed.
        throw new Error(`${(err as Error).message}\n${system.logs.slice(-15).join('\n')}`);
      }
    }
  }

  private startOptions(): services.StartOptions {
    return { env: this.env, ports: this.ports, metricsPorts: this.metricsPorts, onOutput: (name, line) => this.logs.push(`[${name}] ${line}`) };
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }

  /** Where Prometheus scrapes a service: its internal metrics port if it has one (the gateway), else its own port. */
  metricsUrl(name: services.ServiceName): string {
    return `http://127.0.0.1:${this.metricsPorts[name] ?? this.ports[name]}/metrics`;
  }

  /** Stops one service the way a crash would (SIGKILL) or an orchestrator would (SIGTERM). */
  async stop(name: services.ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const svc = this.running.find((s) => s.name === name);
    if (svc) await services.stopService(svc, signal);
    this.running = this.running.filter((s) => s !== svc);
  }

  async restart(name: services.ServiceName): Promise<void> {
    const svc = services.startService(name, this.startOptions());
    this.running.push(svc);
    await svc.ready;
  }

  /**
   * Starts one more replica of a service (e.g. a second push worker) on its own port, with extra env.
   * It is stopped with the rest by close(); `stopReplica` kills it alone.
   */
  async startReplica(name: services.ServiceName, extraEnv: NodeJS.ProcessEnv = {}): Promise<services.RunningService> {
    const port = await freePort();
    const metricsPort = this.metricsPorts[name] === undefined ? undefined : await freePort();
    const svc = services.startService(name, {
      env: { ...this.env, ...extraEnv },
      ports: { ...this.ports, [name]: port },
      metricsPorts: { ...this.metricsPorts, ...(metricsPort === undefined ? {} : { [name]: metricsPort }) },
      onOutput: (n, line) => this.logs.push(`[${n}#${port}] ${line}`),
    });
    this.running.push(svc);
    await svc.ready;
    return svc;
  }

  async stopReplica(svc: services.RunningService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await services.stopService(svc, signal);
    this.running = this.running.filter((s) => s !== svc);
  }

  /**
   * Deletes every Redis key of one BullMQ queue of this system (its jobs, schedulers and state), on a
   * single Redis or on every master of a cluster: what a FLUSHALL does to that queue.
   */
  async dropQueue(queue: QueueName): Promise<void> {
    const redis = createRedis(this.env['REDIS_URL']!, { maxRetriesPerRequest: 1 });
    try {
      for (const node of 'nodes' in redis ? redis.nodes('master') : [redis]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${this.env['MDM_REDIS_PREFIX']}:${queue}:*`, 'COUNT', 1000);
          cursor = next;
          // One slot per queue (the prefix's hash tag), so one DEL takes the whole page even on a cluster.
          if (keys.length) await node.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      redis.disconnect();
    }
  }

  /** The first running process of a service (its pid identifies a push worker's leases). */
  service(name: services.ServiceName): services.RunningService | undefined {
    return this.running.find((s) => s.name === name);
  }

  /** Stops everything and keeps the services' log lines in test-output/ for a failed run. */
  async close(logName = 'e2e-services.log'): Promise<void> {
    for (const svc of [...this.running].reverse()) await services.stopService(svc, 'SIGTERM');
    await this.apns.close();
    await dropDatabase(this.env['DATABASE_URL']!);
    const dir = path.join(services.ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, logName), this.logs.join('\n') + '\n');
  }

  /** The admin API as an operator calls it. */
  async api(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
    const res = await fetch(this.baseUrl + urlPath, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, json };
  }

  /**
   * `GET /v1/events?<query>` once every transaction that started before this call has ended. The events
   * API serves only settled events (those behind the oldest running transaction, see the event-feed
   * migration), so a read right after a write may otherwise miss the newest ones.
   */
  async events(query: string): Promise<Array<{ type: string; id: string; data: Record<string, any> }>> {
    const client = new Client({ connectionString: this.env['DATABASE_URL'] });
    await client.connect();
    try {
      const { rows } = await client.query<{ xmax: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax');
      const before = BigInt(rows[0]!.xmax);
      for (let i = 0; i < 600; i++) {
        const now = await client.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
        if (BigInt(now.rows[0]!.xmin) >= before) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await client.end();
    }
    const res = await this.api('GET', `/v1/events?limit=1000&${query}`);
    if (res.status !== 200) throw new Error(`GET /v1/events?${query}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.events;
  }

  /** Uploads a push certificate issued by the fake APNs and returns its topic. */
  async uploadPushCertificate(): Promise<string> {
    const cert = await this.apns.issuePushCertificate();
    const res = await this.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
    if (res.status !== 200) throw new Error(`push certificate upload failed: ${res.status} ${JSON.stringify(res.json)}`);
    return (res.json as { topic: string }).topic;
  }

  async device(topic: string, opts: Partial<ConstructorParameters<typeof DeviceSimulator>[0]> = {}): Promise<DeviceSimulator> {
    const identity = await createDeviceIdentity(this.deviceCa);
    return new DeviceSimulator({ baseUrl: this.baseUrl, identity, topic, ...opts });
  }

  /** An authenticated device with a push token: what an enrolled iPhone looks like to the server. */
  async enrolledDevice(topic: string, opts: Partial<ConstructorParameters<typeof DeviceSimulator>[0]> = {}): Promise<DeviceSimulator> {
    const device = await this.device(topic, opts);
    const auth = await device.authenticate();
    if (auth.status !== 200) throw new Error(`Authenticate failed: ${auth.status} ${auth.text}`);
    const token = await device.tokenUpdate();
    if (token.status !== 200) throw new Error(`TokenUpdate failed: ${token.status} ${token.text}`);
    return device;
  }
}
