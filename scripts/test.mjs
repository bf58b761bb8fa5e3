// `npm test`: every check and test, against real Postgres and Redis. Each run gets its own database
// and Redis key prefix, removed afterwards, so parallel runs on one machine never collide.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { checkPostgres, checkRedis, deleteRedisPrefix, dropDatabase } from './local-deps.mjs';

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
base.pathname = `/mdm_test_${runId}`;
const env = {
  ...process.env,
  DATABASE_URL: base.toString(),
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  MDM_REDIS_PREFIX: `mdmtest-${runId}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  NODE_ENV: 'test',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
};

function run(title, cmd, args) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const res = spawnSync(cmd, args, { stdio: 'inherit', env });
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
    run('integration', 'npx', ['jest', '--selectProjects', 'integration', '--ci', '--runInBand', '--json', `--outputFile=test-output/integration-${runId}.json`]);
} finally {
  await dropDatabase(env.DATABASE_URL).catch((e) => console.warn(`could not drop the test database: ${e.message}`));
  await deleteRedisPrefix(env.REDIS_URL, env.MDM_REDIS_PREFIX).catch((e) => console.warn(`could not clean Redis: ${e.message}`));
}
// One plain closing line with the totals of both Jest runs.
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of [`test-output/unit-${runId}.json`, `test-output/integration-${runId}.json`]) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && passed > 0 ? 0 : 1);
