// Small helpers every benchmark needs: ports, percentiles, tables, the commit measured, a scratch database and
// Redis prefix per run.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

const require = createRequire(import.meta.url);
const { Client } = require('pg');
const IORedis = require('ioredis');

export const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** `sorted` ascending; nearest-rank percentile. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A Markdown table, columns padded. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => '| ' + r.map((v, c) => String(v).padEnd(widths[c])).join(' | ') + ' |').join('\n');
}

/** Short HEAD commit, marked when the tree has uncommitted changes. */
export function gitCommit(cwd) {
  try {
    const run = (cmd) => execSync(cmd, { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    let commit = run('git rev-parse --short HEAD');
    if (run('git status --porcelain')) commit += ' + uncommitted changes';
    return commit;
  } catch {
    return 'unknown';
  }
}

/**
 * Creates database `db` next to `adminUrl`'s; with `autoExplainMs`, plans of its statements slower than that go to
 * the Postgres server log (diagnosis only). Returns the new database's URL.
 */
export async function createBenchDatabase(admin, adminUrl, db, autoExplainMs) {
  await admin.query(`CREATE DATABASE ${db}`);
  if (autoExplainMs) {
    await admin.query(`ALTER DATABASE ${db} SET session_preload_libraries = 'auto_explain'`);
    await admin.query(`ALTER DATABASE ${db} SET auto_explain.log_min_duration = '${Number(autoExplainMs)}ms'`);
    await admin.query(`ALTER DATABASE ${db} SET auto_explain.log_analyze = on`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

export async function connectPg(url) {
  const client = new Client({ connectionString: url });
  // A Postgres restart (another run's fault test) ends the connection: a failed query says so, not a crash.
  client.on('error', (err) => log(`postgres connection: ${err.message}`));
  await client.connect();
  return client;
}

/** Runs `fn` on a connection of its own, closed afterwards (a long-held one would not survive a Postgres restart). */
export async function withPg(url, fn) {
  const client = await connectPg(url);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Deletes every Redis key under `prefix:`. */
export async function dropRedisPrefix(redisUrl, prefix) {
  const redis = new IORedis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
