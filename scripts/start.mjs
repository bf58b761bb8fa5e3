// `npm start`: checks Postgres and Redis, then runs all six services on this machine until Ctrl-C.
// Settings come from the environment; on first run the secrets an install needs are generated into
// .mdm/local.env (kept out of git) so a restart reads back what was stored.
import { createRequire } from 'node:module';
import path from 'node:path';
import { checkPostgres, checkRedis } from './local-deps.mjs';
import { localEnv } from './local-env.mjs';

const require = createRequire(import.meta.url);
const { ROOT, describeListeners, startAll, stopService } = require('./services.js');

const local = localEnv(ROOT);
const env = { ...local.values, ...process.env };
env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/mdm';
env.REDIS_URL ??= 'redis://127.0.0.1:6379';
// The services write to a pipe read here: on a terminal they are asked for readable lines instead of JSON.
if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';

try {
  await checkPostgres(env.DATABASE_URL);
  await checkRedis(env.REDIS_URL);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

let services;
try {
  services = await startAll({ env, onOutput: (name, line) => console.log(`[${name.padEnd(10)}] ${line}`) });
} catch (err) {
  console.error(`start-up failed: ${err.message}`);
  process.exit(1);
}
const gatewayPort = services.find((s) => s.name === 'gateway').port;
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
console.log(
  [
    '',
    `MDM server up: ${gatewayUrl}  (console ${gatewayUrl}/console; admin API key in ${path.relative(ROOT, local.file)} unless MDM_API_KEY is set)`,
    ...describeListeners(services, env),
    ...(gatewayPort === 8080 ? [] : [`  mdmctl: MDM_URL=${gatewayUrl} npx mdmctl ...`]),
    '',
  ].join('\n'),
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('stopping services...');
  // The edge first, so no new work arrives while the others drain.
  for (const svc of [...services].reverse()) await stopService(svc, 'SIGTERM');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const svc of services) {
  svc.child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${svc.name} exited (${signal ?? code}); stopping the rest`);
      void stop();
    }
  });
}
