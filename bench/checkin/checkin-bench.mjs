// Check-in throughput: N enrolled simulated devices send signed Idle connects through the gateway as fast as the
// machine allows, a command acknowledged every tenth connect; a bare node:http server doing only the irreducible work
// (parse, verify signature and chain, one indexed read, one write) is measured in the same run with the same load
// generator. Run with `npm run bench:checkin` (builds first). See bench/README.md.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectPg, createBenchDatabase, dropRedisPrefix, freePort, gitCommit, log, percentile, table } from '../lib/common.mjs';
import { cpuAdd, cpuReport, cpuSnapshot, cpuUsed } from '../lib/cpu.mjs';
import { startGenerator } from '../lib/generator.mjs';
import { deviceIdentities, identityCacheFile, udidOf } from '../lib/identities.mjs';
import { seedSystem } from '../lib/system.mjs';

const require = createRequire(import.meta.url);
const services = require('../../scripts/services.js');
const HERE = path.dirname(fileURLToPath(import.meta.url));

const N = Number(process.env.BENCH_DEVICES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ACK_EVERY = Number(process.env.BENCH_ACK_EVERY ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const KEYS = Number(process.env.BENCH_KEYS ?? 32);
const TARGETS = (process.env.BENCH_TARGETS ?? 'baseline,system').split(',');
const TARGET_RATIO = 0.5;
const PROFILED = (process.env.BENCH_PROFILE_SERVICES ?? '').split(',').filter(Boolean);
const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const STAMP = `${Date.now()}`;
const CACHE_FILE = identityCacheFile(N, KEYS);
/** The processes on each target's path (the other services' background CPU is reported, not counted). */
const SERVING = {
  baseline: ['baseline', 'pg backends'],
  system: ['gateway', 'command', 'pg backends', 'redis-server'],
};

// ---------------------------------------------------------------- devices

/** The devices as bench:peers seeds them (`seedSystem`), with push facts derived from the UDID. */
async function insertDevices(databaseUrl, devices, topic) {
  const t0 = performance.now();
  const withPush = devices.map((d) => ({ ...d, token: createHash('sha256').update(`tok${d.udid}`).digest('hex'), magic: `magic-${d.udid}` }));
  await seedSystem(databaseUrl, withPush, topic);
  log(`inserted ${N} enrolled devices and their certificates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- processes

async function startBaseline(databaseUrl, caCertFile) {
  const child = spawn(process.execPath, [path.join(HERE, 'baseline-server.mjs')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, BASELINE_CA_FILE: caCertFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port } = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
  };
}

// ---------------------------------------------------------------- one target

/** Devices that acknowledge a command in round r: one in ACK_EVERY - 1, so one connect in ACK_EVERY is an answer. */
function ackIndices(r) {
  const out = [];
  for (let i = r % (ACK_EVERY - 1); i < N; i += ACK_EVERY - 1) out.push(i);
  return out;
}

/**
 * Runs ROUNDS timed rounds against `url` (each: every device one Idle, the round's subset also answers a command).
 * `queue(indices)` queues that round's command (system) and returns its CommandUUID; it runs between rounds, untimed.
 */
async function runTarget(name, url, gen, roles, queue, db) {
  const all = Array.from({ length: N }, (_, i) => i);
  // Warm-up (JIT, sockets, connection pools, the trust store's chain cache): one untimed pass of Idles.
  await gen.ask({ type: 'acks', uuid: randomUUID().toUpperCase(), indices: [] });
  const warm = await gen.ask({ type: 'round', url, mode: 'warmup', indices: all });
  log(`${name}: warm-up ${N} Idle connects in ${warm.seconds.toFixed(1)} s (${Math.round(N / warm.seconds)}/s), statuses ${JSON.stringify(warm.statuses)}`);
  if (!warm.statuses[200]) throw new Error(`${name}: warm-up got no 200 (${warm.samples.join(' | ')})`);
  await db.query('VACUUM ANALYZE devices');

  let used = {};
  let seconds = 0;
  let requests = 0;
  const latencies = [];
  const statuses = {};
  const problems = {};
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    const acks = ackIndices(r);
    const uuid = await queue(acks);
    await gen.ask({ type: 'acks', uuid, indices: acks });
    // Postgres backends serving our database, apart from every postgres process of the machine (other databases'
    // backends come and go during a round and would be counted, plus or minus, in the by-name total).
    const { rows: backends } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const roundRoles = [...roles, ...backends.map((b) => [`pg backend ${b.pid}`, b.pid])];
    const before = cpuSnapshot(roundRoles);
    const res = await gen.ask({ type: 'round', url, mode: name === 'baseline' ? 'baseline' : 'system', indices: all });
    used = cpuAdd(used, backendsTogether(cpuUsed(before, cpuSnapshot(roundRoles))));
    seconds += res.seconds;
    requests += res.latencies.length;
    latencies.push(...res.latencies);
    for (const [k, v] of Object.entries(res.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(res.problems)) problems[k] = (problems[k] ?? 0) + v;
    samples.push(...res.samples);
    log(`${name} round ${r + 1}/${ROUNDS}: ${res.latencies.length} connects (${acks.length} answers) in ${res.seconds.toFixed(2)} s, ${Math.round(res.latencies.length / res.seconds)}/s`);
  }
  latencies.sort((a, b) => a - b);
  const cpu = cpuReport(used, seconds, requests, Object.keys(used).filter((k) => !SERVING[name === 'baseline' ? 'baseline' : 'system'].includes(k)));
  const result = { name, requests, seconds, rate: requests / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), statuses, problems, samples, cpu };
  log(`${name}: ${requests} connects in ${seconds.toFixed(2)} s = ${Math.round(result.rate)}/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, statuses ${JSON.stringify(statuses)}, problems ${JSON.stringify(problems)}`);
  log(`${name}: CPU, % of one core: ${Object.entries(cpu).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return result;
}

/** Sums the per-backend CPU into `pg backends`; a backend closed during the round (NaN) is left out. */
function backendsTogether(used) {
  const out = { 'pg backends': 0 };
  for (const [k, v] of Object.entries(used)) {
    if (!k.startsWith('pg backend ')) out[k] = v;
    else if (Number.isFinite(v)) out['pg backends'] += v;
  }
  return out;
}

// ---------------------------------------------------------------- main

async function main() {
  const commit = gitCommit(services.ROOT);
  log(`N=${N}, ${ROUNDS} rounds, an answer every ${ACK_EVERY} connects, ${CONCURRENCY} in flight, targets ${TARGETS.join(', ')}; ${cpus().length} CPUs (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, commit ${commit}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-checkin-'));
  const ids = await deviceIdentities(dir, N, KEYS);

  const db = `mdm_bench_checkin_${STAMP}`;
  const prefix = db;
  const admin = await connectPg(PG_ADMIN);
  const databaseUrl = await createBenchDatabase(admin, PG_ADMIN, db, process.env.BENCH_AUTO_EXPLAIN);
  const apiKey = randomBytes(24).toString('base64url');
  const ports = Object.fromEntries(await Promise.all(services.SERVICES.map(async (s) => [s.name, await freePort()])));
  // The gateway's internal metrics port too (METRICS_PORT), so a run never collides with another system on this machine.
  const metricsPorts = Object.fromEntries(await Promise.all(services.SERVICES.filter((s) => s.metricsPort).map(async (s) => [s.name, await freePort()])));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MDM_REDIS_PREFIX: prefix,
    REDIS_URL,
    MDM_API_KEY: apiKey,
    MDM_SECRET_KEY: randomBytes(32).toString('base64'),
    MDM_DEVICE_CA_CERT_FILE: ids.caCertFile,
    MDM_DEVICE_CA_KEY_FILE: ids.caKeyFile,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    // Every simulated device connects from 127.0.0.1, where real ones come from their own addresses: the per-address
    // limit is off, the per-device-certificate limit stays as configured (each device connects at most twice a round).
    MDM_RATE_LIMIT_IP_PER_SECOND: process.env.MDM_RATE_LIMIT_IP_PER_SECOND ?? '0',
  };
  const logs = [];
  const running = [];
  let gen;
  let baseline;
  const results = {};
  let failed = false;
  try {
    // The generator signs every device's Idle body while the services start.
    gen = startGenerator();
    const signing = gen.ask({
      type: 'init',
      concurrency: CONCURRENCY,
      signatureCache: `${CACHE_FILE.replace(/\.json$/, '')}-idle.json`,
      keys: ids.keys,
      devices: ids.devices.map((d) => ({ udid: d.udid, certPem: d.certPem, key: d.key })),
    });
    log(`starting services on database ${db}`);
    for (const { name } of services.SERVICES) {
      // BENCH_PROFILE_SERVICES=gateway,command: CPU profiles of those services (bench/push/cpu-profile.mjs, BENCH_PROFILE_DIR).
      const svcEnv = PROFILED.includes(name) ? { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, `--import ${path.join(HERE, '../push/cpu-profile.mjs')}`].filter(Boolean).join(' ') } : env;
      const svc = services.startService(name, { env: svcEnv, ports, metricsPorts, onOutput: (n, line) => logs.push(`[${n}] ${line}`) });
      running.push(svc);
      await svc.ready;
    }
    await insertDevices(databaseUrl, ids.devices, 'com.apple.mgmt.External.bench');
    const ready = await signing;
    log(`load generator (pid ${gen.child.pid}) signed ${N - ready.reused} Idle bodies (reused ${ready.reused}) in ${ready.seconds.toFixed(1)} s`);
    baseline = await startBaseline(databaseUrl, ids.caCertFile);
    const pgc = await connectPg(databaseUrl);
    const roles = [['bench', process.pid], ['generator', gen.child.pid], ['baseline', baseline.child.pid], ...running.map((s) => [s.name, s.child.pid])];
    const api = async (method, p, b) => {
      const res = await fetch(`http://127.0.0.1:${ports.gateway}${p}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: b === undefined ? undefined : JSON.stringify(b),
      });
      return { status: res.status, text: await res.text() };
    };
    for (const target of TARGETS) {
      if (target === 'baseline') {
        results.baseline = await runTarget('baseline', baseline.url, gen, roles, async () => randomUUID().toUpperCase(), pgc);
      } else if (target === 'system') {
        const queue = async (indices) => {
          const res = await api('POST', '/v1/commands', { udids: indices.map(udidOf), command: { RequestType: 'ProfileList' }, push: false });
          if (res.status !== 201) throw new Error(`POST /v1/commands: ${res.status} ${res.text.slice(0, 300)}`);
          return JSON.parse(res.text).commandUuid;
        };
        results.system = await runTarget('system', `http://127.0.0.1:${ports.gateway}`, gen, roles, queue, pgc);
      } else {
        throw new Error(`unknown target ${target} (BENCH_TARGETS: baseline, system)`);
      }
    }
    await pgc.end();
  } catch (err) {
    failed = true;
    log(`ERROR ${err instanceof Error ? err.stack : String(err)}`);
    for (const l of logs.filter((x) => /"level":(4|5|6)0|rror/.test(x)).slice(-20)) log(l);
  } finally {
    await gen?.close();
    await baseline?.close();
    for (const svc of [...running].reverse()) await services.stopService(svc, 'SIGTERM');
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch((e) => log(`drop ${db}: ${e.message}`));
    await admin.end();
    await dropRedisPrefix(REDIS_URL, prefix);
  }
  report(results, commit);
  const bad = Object.values(results).some((r) => r.statuses && Object.keys(r.statuses).some((s) => s !== '200'));
  process.exitCode = failed || bad ? 1 : 0;
}

function report(results, commit) {
  const runs = Object.values(results);
  if (!runs.length) return;
  const roleKeys = ['gateway', 'command', 'enrollment', 'baseline', 'pg backends', 'postgres', 'redis-server', 'generator'];
  const rows = [['server', 'check-ins/s', 'connects', 'seconds', 'p50 ms', 'p99 ms', ...roleKeys.map((k) => `${k} %`), 'server CPU µs/check-in', 'machine busy %']];
  for (const r of runs) {
    rows.push([
      r.name === 'system' ? 'system (gateway → command)' : 'bare node:http baseline',
      Math.round(r.rate),
      r.requests,
      r.seconds.toFixed(2),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      ...roleKeys.map((k) => r.cpu[k] ?? '-'),
      r.cpu.usPerUnit,
      r.cpu.machineBusy,
    ]);
  }
  console.log(`\nCheck-in benchmark: ${N} devices × ${ROUNDS} rounds, an answer every ${ACK_EVERY} connects, ${CONCURRENCY} in flight, ${new Date().toISOString()}, commit ${commit}, ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}\n`);
  console.log(table(rows));
  console.log(
    '(CPU: % of one core over the timed rounds; pg backends: those connected to the bench database, postgres: every postgres process of the machine; ' +
      'server CPU µs/check-in: the processes on that target\'s path, baseline + pg backends or gateway + command + pg backends + Redis)',
  );
  for (const r of runs) {
    const other = Object.entries(r.statuses).filter(([s]) => s !== '200');
    if (other.length) console.log(`${r.name}: NON-200 ANSWERS ${JSON.stringify(Object.fromEntries(other))}: ${r.samples.slice(0, 3).join(' | ')}`);
    if (r.name === 'system' && Object.values(r.problems).some(Boolean)) console.log(`system: unexpected answers ${JSON.stringify(r.problems)}`);
    const rest = Object.entries(r.cpu).filter(([k]) => !roleKeys.includes(k) && k !== 'usPerUnit' && k !== 'machineBusy');
    console.log(`${r.name}: other CPU, % of one core: ${rest.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (results.system && results.baseline) {
    const ratio = results.system.rate / results.baseline.rate;
    const clean = runs.every((r) => Object.keys(r.statuses).every((s) => s === '200'));
    // What the rate would be on cores of our own: each target's rate if its serving processes had the same CPU.
    const cpuRatio = results.baseline.cpu.usPerUnit / results.system.cpu.usPerUnit;
    console.log(`system / baseline: ${ratio.toFixed(2)} by rate; ${cpuRatio.toFixed(2)} by server CPU per check-in (${results.system.cpu.usPerUnit} vs ${results.baseline.cpu.usPerUnit} µs)`);
    const verdict = !clean ? 'INVALID (answers other than 200, see above)' : ratio >= TARGET_RATIO ? 'PASS' : 'MISS';
    console.log(`${verdict}: system ${Math.round(results.system.rate)} check-ins/s >= ${TARGET_RATIO} × baseline (${Math.round(TARGET_RATIO * results.baseline.rate)}/s)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
