/**
 * Runs a FakeApns in its own process, for benchmarks and manual runs against a built tree:
 *
 *   node dist/libs/testing/src/fake-apns-cli.js --dir /tmp/fake-apns [--port 0] [--host 127.0.0.1]
 *        [--max-concurrent-streams 1000] [--control-port 0] [--push-topic T] [--push-label TEXT]
 *        [--server-name api.push.apple.com[,…]]
 *
 * Writes into --dir: ca.pem (trust it: APNS_CA_FILE), client-ca.pem, push-cert.pem and push-key.pem (a push
 * certificate the fake accepts; --push-topic and --push-label set its topic and CN/O). --server-name adds DNS names
 * to the server certificate (a client that only knows Apple's host name reaches the fake through its hosts file).
 * Prints one JSON line on stdout:
 *   {"url","caPemFile","clientCaPemFile","pushCertFile","pushKeyFile","topic","pid","controlUrl"?}
 * Control, one command per stdin line, one JSON answer line on stdout:
 *   count → {"pushes":n,"requests":n,"maxConcurrentObserved":n,"sessions":n}; reset → {"ok":true};
 *   streams <n> → {"ok":true}; quit → exits.
 * With --control-port, the same over HTTP: GET /count, GET /received, POST /reset, POST /streams?n=<n>, and
 * GET /pushes?after=<n>&wait=<ms>: the accepted pushes from index n on ({next, pushes: [{token, topic,
 * receivedAt}]}), waiting up to `wait` ms (at most 60 s) for one, so a device simulator can wake on its push.
 * SIGINT/SIGTERM or stdin closing stop it.
 */
// @peculiar/x509 (used for the certificates) needs the Reflect metadata polyfill before it loads.
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeApns } from './fake-apns';
import { pushesAfter } from './fake-apns-pushes';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const dir = resolve(arg('dir') ?? join(process.cwd(), 'tmp', 'fake-apns'));
  const fake = await FakeApns.start({
    port: Number(arg('port') ?? 0),
    host: arg('host') ?? '127.0.0.1',
    maxConcurrentStreams: Number(arg('max-concurrent-streams') ?? 1000),
    serverNames: (arg('server-name') ?? '').split(',').filter(Boolean),
  });
  const push = await fake.issuePushCertificate({ topic: arg('push-topic'), label: arg('push-label') });
  const files = await writeTrustFiles(dir, fake, push);

  const controlPort = arg('control-port');
  const control = controlPort === undefined ? undefined : await startControlServer(fake, Number(controlPort));
  const controlUrl = control === undefined ? undefined : `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  listenForStop(fake, control);
  process.stdout.write(JSON.stringify({ url: fake.url, ...files, topic: push.topic, pid: process.pid, controlUrl }) + '\n');
}

type PushCertificate = Awaited<ReturnType<FakeApns['issuePushCertificate']>>;

/** The CA a push client must trust, the client CA and a push certificate the fake accepts, as files in `dir`. */
async function writeTrustFiles(
  dir: string,
  fake: FakeApns,
  push: PushCertificate,
): Promise<{ caPemFile: string; clientCaPemFile: string; pushCertFile: string; pushKeyFile: string }> {
  await mkdir(dir, { recursive: true });
  const files = {
    caPemFile: join(dir, 'ca.pem'),
    clientCaPemFile: join(dir, 'client-ca.pem'),
    pushCertFile: join(dir, 'push-cert.pem'),
    pushKeyFile: join(dir, 'push-key.pem'),
  };
  await writeFile(files.caPemFile, fake.caPem);
  await writeFile(files.clientCaPemFile, fake.clientCaPem);
  await writeFile(files.pushCertFile, push.certPem);
  await writeFile(files.pushKeyFile, push.keyPem, { mode: 0o600 });
  return files;
}

/** The answer to one control command (a stdin line, or the HTTP request it stands for). */
function command(fake: FakeApns, line: string): unknown {
  const [verb, value] = line.trim().split(/\s+/);
  switch (verb) {
    case 'count':
      return { pushes: fake.pushes.length, requests: fake.requests.length, maxConcurrentObserved: fake.maxConcurrentObserved, sessions: fake.sessions };
    case 'received':
      // Arrival times (epoch ms) of accepted pushes, for the benchmark's enqueue→push latency.
      return { receivedAt: fake.pushes.map((p) => p.receivedAt) };
    case 'reset':
      fake.reset();
      return { ok: true };
    case 'streams':
      fake.setMaxConcurrentStreams(Number(value));
      return { ok: true };
    default:
      return { error: `unknown command "${verb ?? ''}" (count | received | reset | streams <n> | quit)` };
  }
}

async function startControlServer(fake: FakeApns, port: number): Promise<http.Server> {
  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const verb = url.pathname.slice(1);
    res.setHeader('content-type', 'application/json');
    if (verb === 'pushes') {
      const after = Number(url.searchParams.get('after')) || 0;
      void pushesAfter(fake, after, Number(url.searchParams.get('wait')) || 0).then((answer) => res.end(JSON.stringify(answer)));
      return;
    }
    const line = verb === 'streams' ? `streams ${url.searchParams.get('n') ?? ''}` : verb;
    res.end(JSON.stringify(command(fake, line)));
  });
  await new Promise<void>((done) => control.listen(port, '127.0.0.1', done));
  return control;
}

/** Stops on SIGINT/SIGTERM, `quit` or stdin closing; answers the other stdin lines. */
function listenForStop(fake: FakeApns, control: http.Server | undefined): void {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    control?.close();
    await fake.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === 'quit') void stop();
    else if (line.trim() !== '') process.stdout.write(JSON.stringify(command(fake, line)) + '\n');
  });
  rl.on('close', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-apns: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
