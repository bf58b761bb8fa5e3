import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { eventually, freePort } from '@mdm/testing';
import * as services from '../../scripts/services';
import { createDatabase, dropDatabase } from './system';

/**
 * A service started while Redis or Postgres is down says so once, keeps retrying without a flood of stack
 * traces, and becomes ready once the dependency answers. The command service stands for all: they share
 * the connection code (libs/messaging, libs/persistence).
 */
const BASE_DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/mdm_test';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** Long enough for a dozen reconnect attempts per connection at the retry backoff's start. */
const OBSERVE_DOWN_MS = 5_000;

interface Started {
  svc: services.RunningService;
  lines: string[];
}

function startCommand(env: NodeJS.ProcessEnv): Promise<Started> {
  return freePort().then((port) => {
    const lines: string[] = [];
    const svc = services.startService('command', {
      env: { ...process.env, ...env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      ports: { command: port },
      onOutput: (_name, line) => lines.push(line),
      timeoutMs: 90_000,
    });
    // Observed by the test below; a failure here is reported there.
    svc.ready.catch(() => undefined);
    return { svc, lines };
  });
}

function matching(lines: readonly string[], pattern: RegExp): string[] {
  return lines.filter((l) => pattern.test(l));
}

/** Every line is one JSON log record: a stack trace printed by a library would not be. */
function expectOnlyLogRecords(lines: readonly string[]): void {
  const stray = lines.filter((l) => {
    try {
      return typeof (JSON.parse(l) as { msg?: unknown }).msg !== 'string';
    } catch {
      return true;
    }
  });
  expect(stray).toEqual([]);
}

async function expectReady(svc: services.RunningService): Promise<void> {
  await svc.ready;
  await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${svc.port}/ready`);
      expect(res.status).toBe(200);
    },
    { timeoutMs: 30_000, message: '/ready did not answer 200' },
  );
}

jest.setTimeout(300_000);

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a service started while a dependency is down', () => {
  let databaseUrl: string;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  beforeAll(async () => {
    databaseUrl = await createDatabase(BASE_DATABASE_URL, `deps_${randomBytes(4).toString('hex')}`);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await dropDatabase(databaseUrl);
  });

  it('says once that Redis is unreachable, retries quietly, and is ready when Redis comes', async () => {
    const redisPort = await freePort();
    const started = await startCommand({
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MDM_REDIS_PREFIX: `{mdmtest-deps-${randomBytes(3).toString('hex')}}`,
    });
    cleanups.push(() => services.stopService(started.svc, 'SIGKILL'));

    await eventually(() => expect(matching(started.lines, /Redis at 127\.0\.0\.1:\d+ is unreachable/)).toHaveLength(1), {
      timeoutMs: 60_000,
      message: 'no "Redis unreachable" line',
    });
    // The outage lasts a while: every connection retries many times in it, and must stay quiet.
    await pause(OBSERVE_DOWN_MS);
    const unreachable = matching(started.lines, /unreachable/);
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${redisPort} is unreachable \\(ECONNREFUSED\\); retrying with backoff`));
    expect(matching(started.lines, /"level":(4|5|6)\d/)).toHaveLength(1);
    expectOnlyLogRecords(started.lines);

    const redis: ChildProcess = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanups.push(() => redis.kill('SIGKILL'));
    await expectReady(started.svc);
    await eventually(() => expect(matching(started.lines, /Redis at 127\.0\.0\.1:\d+ is reachable again/)).toHaveLength(1));
    expect(matching(started.lines, /unreachable/)).toHaveLength(1);
    expectOnlyLogRecords(started.lines);
  });

  it('says once that Postgres is unreachable, retries quietly, and is ready when Postgres comes', async () => {
    // Postgres "comes" when a forwarder to the real one starts listening on a port nobody answered on.
    const real = new URL(databaseUrl);
    const forwardPort = await freePort();
    const through = new URL(databaseUrl);
    through.port = String(forwardPort);
    const started = await startCommand({ DATABASE_URL: through.toString(), REDIS_URL, MDM_REDIS_PREFIX: `{mdmtest-deps-${randomBytes(3).toString('hex')}}` });
    cleanups.push(() => services.stopService(started.svc, 'SIGKILL'));

    await eventually(() => expect(matching(started.lines, /Postgres at 127\.0\.0\.1:\d+\/\S+ is unreachable/)).toHaveLength(1), {
      timeoutMs: 60_000,
      message: 'no "Postgres unreachable" line',
    });
    await pause(OBSERVE_DOWN_MS);
    expect(matching(started.lines, /unreachable/)).toHaveLength(1);
    expect(matching(started.lines, /"level":(4|5|6)\d/)).toHaveLength(1);
    expectOnlyLogRecords(started.lines);

    const sockets = new Set<Socket>();
    const forwarder: Server = createServer((socket) => {
      const upstream = connect(Number(real.port || 5432), real.hostname);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(forwardPort, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          forwarder.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    );
    await expectReady(started.svc);
    await eventually(() => expect(matching(started.lines, /Postgres at \S+ is reachable again/)).toHaveLength(1));
    expectOnlyLogRecords(started.lines);
  });
});
