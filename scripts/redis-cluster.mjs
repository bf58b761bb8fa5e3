// A throw-away 3-node Redis Cluster on free local ports, for running the end-to-end tests against
// BullMQ on Redis Cluster (`npm test` does). Uses the machine's redis-server and redis-cli.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready in ${timeoutMs} ms${last ? `: ${last.message}` : ''}`);
}

async function info(port, section) {
  const redis = new IORedis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A node still starting refuses the connection; connect() rejects with that, so the event adds nothing.
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call('CLUSTER', section);
  } finally {
    redis.disconnect();
  }
}

/**
 * Starts three cluster-enabled redis-server processes (masters, no replicas), joins them with
 * `redis-cli --cluster create`, and waits until every node says `cluster_state:ok`.
 * @returns {Promise<{ url: string, ports: number[], stop: () => Promise<void> }>}
 */
export async function startRedisCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mdm-redis-cluster-'));
  const ports = [];
  while (ports.length < 3) {
    const p = await freePort();
    // The cluster bus listens on port + 10000: keep both in range and distinct.
    if (p < 55000 && !ports.includes(p)) ports.push(p);
  }
  const children = ports.map((port) =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(async () => (await info(port, 'INFO')).includes('cluster_state'), `redis-server on ${port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) await waitFor(async () => (await info(port, 'INFO')).includes('cluster_state:ok'), `cluster state on ${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop };
}
