// Our system as `npm start` runs it (scripts/services.js), on a scratch database and Redis prefix of its own,
// and its seeding with enrolled devices.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { connectPg, createBenchDatabase, dropRedisPrefix, freePort, log, withPg } from './common.mjs';

const require = createRequire(import.meta.url);
const services = require('../../scripts/services.js');

/**
 * Starts every service (plus `pushReplicas - 1` extra push workers) on database `db`; `env` adds to the
 * process's environment (APNS_URL, device CA files, …), `pushEnv` to the push workers' only. `stop()` stops
 * them and drops the database and the Redis keys.
 */
export async function startSystem({ db, adminUrl, redisUrl, env: extra = {}, pushEnv = {}, pushReplicas = 1, timeoutMs = 120_000 }) {
  const databaseUrl = await withPg(adminUrl, (admin) => createBenchDatabase(admin, adminUrl, db, process.env.BENCH_AUTO_EXPLAIN));
  const apiKey = randomBytes(24).toString('base64url');
  const ports = Object.fromEntries(await Promise.all(services.SERVICES.map(async (s) => [s.name, await freePort()])));
  // The gateway's internal metrics port too (METRICS_PORT), so a run never collides with another system on this machine.
  const metricsPorts = Object.fromEntries(await Promise.all(services.SERVICES.filter((s) => s.metricsPort).map(async (s) => [s.name, await freePort()])));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MDM_REDIS_PREFIX: db,
    REDIS_URL: redisUrl,
    MDM_API_KEY: apiKey,
    MDM_SECRET_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    // 100,000 UDIDs of ~15 characters are ~2 MB of JSON; leave room for longer UDIDs.
    MDM_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    UPSTREAM_TIMEOUT_MS: process.env.UPSTREAM_TIMEOUT_MS ?? String(timeoutMs),
    ...extra,
  };
  const logs = [];
  const opts = { env, ports, metricsPorts, onOutput: (name, line) => logs.push(`[${name}] ${line}`) };
  const pushOpts = { ...opts, env: { ...env, ...pushEnv } };
  const running = [];
  const stop = async () => {
    for (const svc of [...running].reverse()) await services.stopService(svc, 'SIGTERM');
    await withPg(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch((e) => log(`drop ${db}: ${e.message}`));
    await dropRedisPrefix(redisUrl, db).catch((e) => log(`drop Redis keys ${db}: ${e.message}`));
  };
  try {
    for (const { name } of services.SERVICES) {
      const svc = services.startService(name, name === 'push' ? pushOpts : opts);
      running.push(svc);
      await svc.ready;
    }
    for (let r = 1; r < pushReplicas; r++) {
      const extraPush = services.startService('push', { ...pushOpts, ports: { ...ports, push: await freePort() } });
      running.push(extraPush);
      await extraPush.ready;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const api = async (method, p, body) => {
    const res = await fetch(`${gatewayUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  };
  /** Error and warning lines of the services' logs, the last `n`. */
  const problems = (n = 20) => logs.filter((x) => /"level":(4|5|6)0/.test(x)).slice(-n);
  return { db, databaseUrl, apiKey, ports, running, gatewayUrl, api, problems, stop };
}

/** Uploads the push certificate through the API, as an operator would. */
export async function uploadPushCertificate(system, certPem, keyPem) {
  const res = await system.api('PUT', '/v1/apns/certificate', { certificate: certPem, privateKey: keyPem });
  if (res.status !== 200) throw new Error(`push certificate upload: ${res.status} ${res.text}`);
}

/**
 * Enrolled devices as Authenticate + TokenUpdate leave them, and their certificates as SCEP records them, in two
 * set-based statements. `devices`: [{ udid, cert (X509Certificate), fingerprint, token, magic }].
 */
export async function seedSystem(databaseUrl, devices, topic) {
  const db = await connectPg(databaseUrl);
  try {
    const col = (f) => devices.map(f);
    await db.query(
      `INSERT INTO device_certificates (fingerprint, serial_number, subject, not_before, not_after, issued_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[])`,
      [
        col((d) => d.fingerprint),
        col((d) => d.cert.serialNumber),
        col((d) => d.cert.subject),
        col((d) => new Date(d.cert.validFrom)),
        col((d) => new Date(d.cert.validTo)),
        col(() => new Date()),
      ],
    );
    await db.query(
      `INSERT INTO devices (udid, enrollment_id, enrolled, topic, push_token, push_magic, cert_fingerprint, cert_not_after,
                            token_update_count, authenticated_at, enrolled_at, last_seen_at)
       SELECT u, gen_random_uuid(), true, $1, t, m, f, n, 1, now(), now(), now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS x(u, t, m, f, n)`,
      [topic, col((d) => d.udid), col((d) => d.token), col((d) => d.magic), col((d) => d.fingerprint), col((d) => new Date(d.cert.validTo))],
    );
    await db.query('ANALYZE devices; ANALYZE device_certificates');
  } finally {
    await db.end();
  }
}
