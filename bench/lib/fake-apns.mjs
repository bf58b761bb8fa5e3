// The fake APNs (libs/testing's fake-apns-cli) in its own process, so its CPU is accounted apart, with its HTTP
// control endpoints wrapped.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from './common.mjs';

/**
 * `root`: the repository root (dist/ built). `port` 0 picks a free one; `serverNames` are extra DNS names on its
 * server certificate (api.push.apple.com when a peer reaches it through its hosts file).
 */
export async function startFake(root, { port = 0, serverNames = [], maxStreams = 1000 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-fake-apns-'));
  const args = [path.join(root, 'dist/libs/testing/src/fake-apns-cli.js'), '--dir', dir, '--control-port', '0', '--port', String(port)];
  args.push('--max-concurrent-streams', String(maxStreams));
  if (serverNames.length) args.push('--server-name', serverNames.join(','));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`fake APNs exited with ${code}`)));
  });
  const control = async (verb, method = 'GET') => (await fetch(`${info.controlUrl}/${verb}`, { method })).json();
  return {
    ...info,
    dir,
    child,
    certPem: readFileSync(info.pushCertFile, 'utf8'),
    keyPem: readFileSync(info.pushKeyFile, 'utf8'),
    caPem: readFileSync(info.caPemFile, 'utf8'),
    count: () => control('count'),
    received: () => control('received'),
    reset: () => control('reset', 'POST'),
    close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.stdin.end()))),
  };
}

/** Polls the fake's count until `n` pushes were accepted; `onTick` sees every count. */
export async function waitForPushes(fake, n, timeoutMs, onTick) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await fake.count();
    onTick?.(c);
    if (c.pushes >= n) return c;
    if (Date.now() > deadline) throw new Error(`timed out: fake APNs has ${c.pushes}/${n} pushes (requests ${c.requests})`);
    await sleep(100);
  }
}

/** Waits until the fake's count stops moving for `quietMs` (stragglers of a previous scenario), then resets it. */
export async function settleAndReset(fake, quietMs = 1000) {
  let last = -1;
  for (;;) {
    const { requests } = await fake.count();
    if (requests === last) break;
    last = requests;
    await sleep(quietMs);
  }
  await fake.reset();
}
