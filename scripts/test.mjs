// `npm test`: every check and test, against real Postgres and Redis. Each run gets its own database
// and Redis key prefix, removed afterwards, so parallel runs on one machine never collide.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { checkPostgres, checkRedis, deleteRedisPrefix, dropDatabase } from './local-deps.mjs';
import { startRedisCluster } from './redis-cluster.mjs';

const require = createRequire(import.meta.url);
const { chooseTestServices } = require('./test-services.js');

/** Whether a Docker engine answers (testcontainers' own discovery), bounded so a hung socket cannot stall the run. */
async function dockerAnswers() {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const timeout = new Promise((resolve) => setTimeout(resolve, 15_000, false).unref());
  return Promise.race([getContainerRuntimeClient().then(() => true), timeout]);
}

/** Containers started for this run (DATABASE_URL / REDIS_URL unset and Docker there), stopped at the end. */
const containers = [];
async function postgresContainer() {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const started = await new PostgreSqlContainer('postgres:15').withUsername('postgres').withPassword('postgres').withDatabase('postgres').start();
  containers.push(started);
  return started.getConnectionUri();
}
async function redisContainer() {
  const { RedisContainer } = await import('@testcontainers/redis');
  const started = await new RedisContainer('redis:7').start();
  containers.push(started);
  return started.getConnectionUrl();
}

const chosen = await chooseTestServices(process.env, { dockerAnswers });
const postgresUrl = chosen.postgres.source === 'container' ? await postgresContainer() : chosen.postgres.url;
const redisUrl = chosen.redis.source === 'container' ? await redisContainer() : chosen.redis.url;
console.log(`postgres: ${chosen.postgres.source}, redis: ${chosen.redis.source}`);

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const base = new URL(postgresUrl);
base.pathname = `/mdm_test_${runId}`;
const env = {
  ...process.env,
  DATABASE_URL: base.toString(),
  REDIS_URL: redisUrl,
  MDM_REDIS_PREFIX: `mdmtest-${runId}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  NODE_ENV: 'test',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
};

/**
 * The end-to-end suite runs with BullMQ on a 3-node Redis Cluster (started here, removed after), every
 * spec but the fault test, which needs a Redis of its own to flush and restart. The key prefix carries a
 * hash tag, as a cluster needs. The standalone run keeps the library integration tests, the fault test
 * and the device loop, so a single Redis (the default deployment) is exercised end to end as well.
 */
const E2E_DIR = 'test/e2e';
const STANDALONE_E2E = ['chaos.e2e-spec.ts', 'mdm-loop.e2e-spec.ts'];
const CLUSTER_SPECS = readdirSync(E2E_DIR)
  .filter((f) => f.endsWith('.e2e-spec.ts') && f !== 'chaos.e2e-spec.ts')
  .sort()
  .map((f) => `${E2E_DIR}/${f}`);
const STANDALONE_ONLY = ['--testPathIgnorePatterns', `/${E2E_DIR}/(?!${STANDALONE_E2E.map((f) => f.replace(/\./g, '\\.')).join('|')})`];

async function runOnRedisCluster() {
  const cluster = await startRedisCluster().catch((err) => {
    console.error(`could not start a Redis Cluster: ${err.message}`);
    return undefined;
  });
  if (!cluster) return false;
  try {
    return run(
      'end-to-end suite on a Redis Cluster',
      'npx',
      ['jest', '--selectProjects', 'integration', '--ci', '--runInBand', '--json', `--outputFile=test-output/cluster-${runId}.json`, '--runTestsByPath', ...CLUSTER_SPECS],
      { REDIS_URL: cluster.url, MDM_REDIS_PREFIX: `{mdmtest-${runId}}` },
    );
  } finally {
    await cluster.stop();
  }
}

/**
 * The browser tests drive Debian's Chromium (never a downloaded browser): installed with apt here when
 * it is missing and this user may, so `npm ci && npm test` stays the whole set-up on a fresh machine.
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return true;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    return run('install chromium', 'sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium']);
  }
  console.error('the browser tests need Chromium at /usr/bin/chromium: apt-get install chromium (as root)');
  return false;
}

function run(title, cmd, args, extraEnv = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv } });
  console.log(`=== ${title}: ${res.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return res.status === 0;
}

await checkPostgres(env.DATABASE_URL).catch((e) => (console.error(e.message), process.exit(1)));
await checkRedis(env.REDIS_URL).catch((e) => (console.error(e.message), process.exit(1)));
console.log(`test run ${runId}: database ${base.pathname.slice(1)}, redis prefix ${env.MDM_REDIS_PREFIX}`);

let ok = false;
mkdirSync('test-output', { recursive: true });
try {
  ok =
    run('build', 'npm', ['run', 'build']) &&
    run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']) &&
    run('project graph', 'npx', ['nx', 'show', 'projects']) &&
    run('lint', 'npx', ['eslint', '.']) &&
    run('unit', 'npx', ['jest', '--selectProjects', 'unit', '--ci', '--json', `--outputFile=test-output/unit-${runId}.json`]) &&
    run('integration', 'npx', ['jest', '--selectProjects', 'integration', '--ci', '--runInBand', ...STANDALONE_ONLY, '--json', `--outputFile=test-output/integration-${runId}.json`]) &&
    (await runOnRedisCluster()) &&
    ensureChromium() &&
    run('browser', 'npx', ['jest', '--selectProjects', 'browser', '--ci', '--runInBand', '--json', `--outputFile=test-output/browser-${runId}.json`]);
} finally {
  await dropDatabase(env.DATABASE_URL).catch((e) => console.warn(`could not drop the test database: ${e.message}`));
  await deleteRedisPrefix(env.REDIS_URL, env.MDM_REDIS_PREFIX).catch((e) => console.warn(`could not clean Redis: ${e.message}`));
  await Promise.all(containers.map((c) => c.stop().catch((e) => console.warn(`could not stop a container: ${e.message}`))));
}
// One plain closing line with the totals of every Jest run.
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of [`test-output/unit-${runId}.json`, `test-output/integration-${runId}.json`, `test-output/cluster-${runId}.json`, `test-output/browser-${runId}.json`]) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && passed > 0 ? 0 : 1);
