// A private redis-server for one run, so its CPU is ours alone (the machine's Redis serves other work too).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort, sleep } from './common.mjs';

const require = createRequire(import.meta.url);
const IORedis = require('ioredis');

export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (err) {
      probe.disconnect();
      if (i > 50 || child.exitCode !== null) throw new Error(`redis-server on ${port} did not start: ${err.message}`);
      await sleep(100);
    }
  }
  return { url, child, close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}
