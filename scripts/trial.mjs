// `npm run trial`: the whole system on this machine without an Apple account. A fake APNs runs as a process,
// the six services push to it, and a TEST push certificate made for it is installed through the admin API.
// The trial has its own database (<name>_trial) and Redis prefix (<prefix>-trial), so it never mixes with a
// real install. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { checkPostgres, checkRedis } from './local-deps.mjs';
import { localEnv } from './local-env.mjs';

const require = createRequire(import.meta.url);
const { ROOT, SERVICES, startAll, stopService } = require('./services.js');

/** The test certificate's CN and O: whoever lists it sees it is not Apple's. */
const TEST_LABEL = 'TEST ONLY - local fake APNs (not from Apple)';
const FAKE_APNS = 'dist/libs/testing/src/fake-apns-cli.js';
/** State the trial keeps between runs (the fake's files, the test topic, logs); MDM_TRIAL_DIR moves it. */
const stateDir = path.resolve(process.env.MDM_TRIAL_DIR ?? path.join(ROOT, '.mdm', 'trial'));
const stateFile = path.join(stateDir, 'trial.json');

function trialEnv(base) {
  const env = { ...base };
  const db = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/mdm');
  db.pathname = `/${db.pathname.slice(1) || 'mdm'}_trial`;
  env.DATABASE_URL = db.toString();
  env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  env.MDM_REDIS_PREFIX = `${env.MDM_REDIS_PREFIX ?? 'mdm'}-trial`;
  env.LOG_LEVEL ??= 'info';
  return env;
}

/** The same topic every run, so devices enrolled in an earlier run stay reachable (the certificate is renewed). */
function testTopic() {
  const file = path.join(stateDir, 'topic');
  if (!existsSync(file)) writeFileSync(file, `com.apple.mgmt.External.TEST-ONLY-fake-apns-${randomUUID()}\n`);
  return readFileSync(file, 'utf8').trim();
}

/** The fake APNs process; it stops when this process ends (its stdin closes). */
async function startFakeApns(topic) {
  const args = ['--dir', path.join(stateDir, 'fake-apns'), '--control-port', '0', '--push-topic', topic, '--push-label', TEST_LABEL];
  const child = spawn(process.execPath, [path.join(ROOT, FAKE_APNS), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the fake APNs exited (${code}) before it was ready`)));
  });
  return { child, ...info };
}

async function installTestCertificate(gatewayUrl, apiKey, fake) {
  const body = { certificate: readFileSync(fake.pushCertFile, 'utf8'), privateKey: readFileSync(fake.pushKeyFile, 'utf8') };
  const put = (extra) =>
    fetch(`${gatewayUrl}/v1/apns/certificate`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, ...extra }),
    });
  let res = await put({});
  if (res.status === 409) {
    // Another topic is stored in the trial database (the trial's state directory was removed): replace it.
    console.log(`replacing the push certificate stored in the trial database: ${(await res.json()).message}`);
    res = await put({ force: true });
  }
  if (!res.ok) throw new Error(`installing the test push certificate failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Service logs go to a file; only warnings and worse (and anything not JSON) reach the terminal. */
function logTo(file) {
  const out = createWriteStream(file, { flags: 'a' });
  return (name, line) => {
    out.write(`[${name}] ${line}\n`);
    let level = 50;
    try {
      level = JSON.parse(line).level ?? 50;
    } catch {
      /* not a JSON log line: show it */
    }
    if (level >= 40) console.log(`[${name.padEnd(12)}] ${line}`);
  };
}

function banner({ gatewayUrl, gatewayPort, env, local, fake, cert, logFile }) {
  const rel = (f) => (f.startsWith(process.cwd()) ? path.relative(process.cwd(), f) : f);
  const urlHint = gatewayPort === 8080 ? [] : [`  export MDM_URL=${gatewayUrl}    # mdmctl talks to this gateway`];
  console.log(
    [
      '',
      `Local trial ready (database ${new URL(env.DATABASE_URL).pathname.slice(1)}, Redis prefix ${env.MDM_REDIS_PREFIX}):`,
      `  gateway   ${gatewayUrl}        console ${gatewayUrl}/console`,
      `  API key   MDM_API_KEY in ${rel(local.file)}`,
      `  push      TEST certificate "${TEST_LABEL}", topic ${cert.topic}`,
      `            fake APNs ${fake.url} (control ${fake.controlUrl})`,
      `  logs      ${rel(logFile)}`,
      '',
      'Next, in another terminal:',
      ...urlHint,
      '  npx mdmctl sim start --count 5    # enroll 5 simulated iPhones and keep them online',
      '  npx mdmctl devices list',
      `  npx mdmctl command send --udid <UDID> --type DeviceInformation --json '{"Queries": ["OSVersion"]}' --watch`,
      '  (more in the README, "Try it in five minutes")',
      '',
      'Ctrl-C stops the trial.',
      '',
    ].join('\n'),
  );
}

let fake;
let services = [];
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log('stopping the trial...');
  rmSync(stateFile, { force: true });
  // The edge first, so no new work arrives while the others drain.
  for (const svc of [...services].reverse()) await stopService(svc, 'SIGTERM');
  fake?.child.kill('SIGTERM');
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const { freePort } = require(path.join(ROOT, 'dist/libs/testing/src/free-port.js'));
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const local = localEnv(ROOT, 'npm run trial');
  const env = trialEnv({ ...local.values, ...process.env });
  await checkPostgres(env.DATABASE_URL);
  // A cluster URL names several seed nodes: the services report one they cannot reach.
  if (!env.REDIS_URL.startsWith('redis-cluster://')) await checkRedis(env.REDIS_URL);

  const gatewayPort = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
  // Only the gateway's port matters to a user; the internal ones are free ports, so the trial runs beside `npm start`.
  const ports = { gateway: gatewayPort };
  for (const { name } of SERVICES) if (name !== 'gateway') ports[name] = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

  const topic = testTopic();
  fake = await startFakeApns(topic);
  const logFile = path.join(stateDir, 'services.log');
  const serviceEnv = { ...env, APNS_URL: fake.url, APNS_CA_FILE: fake.caPemFile, MDM_PUBLIC_URL: env.MDM_PUBLIC_URL ?? gatewayUrl };
  try {
    services = await startAll({ env: serviceEnv, ports, metricsPorts: { gateway: await freePort() }, onOutput: logTo(logFile) });
  } catch (err) {
    throw new Error(`start-up failed: ${err.message} (service logs: ${logFile})`);
  }
  for (const svc of services) {
    svc.child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${svc.name} exited (${signal ?? code}); stopping the trial (service logs: ${logFile})`);
      void stop(1);
    });
  }
  const cert = await installTestCertificate(gatewayUrl, env.MDM_API_KEY, fake);
  // How `mdmctl sim` finds the fake APNs, to wake its devices on their pushes.
  writeFileSync(stateFile, JSON.stringify({ gatewayUrl, apnsControlUrl: fake.controlUrl, topic: cert.topic, pid: process.pid }, null, 2));
  banner({ gatewayUrl, gatewayPort, env, local, fake, cert, logFile });
}

main().catch((err) => {
  console.error(err.message);
  void stop(1);
});
