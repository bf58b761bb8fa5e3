// The two systems under test, started, seeded and wrapped in the same shape for the scenarios.
import { createRequire } from 'node:module';
import { log } from '../lib/common.mjs';
import { startRedis } from '../lib/redis.mjs';
import { seedSystem, startSystem, uploadPushCertificate } from '../lib/system.mjs';
import { commandPlist, urlChunks } from './scenarios.mjs';
import { startNanomdm } from './nanomdm.mjs';

const require = createRequire(import.meta.url);
const services = require('../../scripts/services.js');
export const OUR_SERVICES = services.SERVICES.map((s) => s.name);

/** Ours: every service, on a private Redis (its CPU is then ours alone) and a scratch database. */
export async function ourTarget({ stamp, adminUrl, ids, devices, fake, timeoutMs }) {
  const redis = await startRedis();
  let system;
  try {
    system = await startSystem({
      db: `mdm_bench_peers_${stamp}`,
      adminUrl,
      redisUrl: redis.url,
      timeoutMs,
      env: {
        APNS_URL: fake.url,
        APNS_CA_FILE: fake.caPemFile,
        MDM_DEVICE_CA_CERT_FILE: ids.caCertFile,
        MDM_DEVICE_CA_KEY_FILE: ids.caKeyFile,
        // Every simulated device connects from 127.0.0.1, where real ones come from their own addresses.
        MDM_RATE_LIMIT_IP_PER_SECOND: process.env.MDM_RATE_LIMIT_IP_PER_SECOND ?? '0',
      },
    });
    await uploadPushCertificate(system, fake.certPem, fake.keyPem);
    const t0 = performance.now();
    await seedSystem(system.databaseUrl, devices, fake.topic);
    log(`ours: ${devices.length} enrolled devices and their certificates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    await system?.stop();
    await redis.close();
    throw err;
  }
  const call = async (method, p, body, ok) => {
    const res = await system.api(method, p, body);
    if (res.status !== ok) throw new Error(`${method} ${p}: ${res.status} ${res.text.slice(0, 300)}`);
  };
  return {
    name: 'ours',
    url: system.gatewayUrl,
    checkinPath: '/mdm/connect',
    db: system.db,
    processes: [...system.running.map((s) => [s.name, s.child.pid]), ['redis-server', redis.child.pid]],
    serverRoles: [...OUR_SERVICES, 'postgres', 'redis-server'],
    pushPids: system.running.filter((s) => s.name === 'push').map((s) => s.child.pid),
    push: (udids) => call('POST', '/v1/push', { udids }, 202),
    command: (udids) => call('POST', '/v1/commands', { udids, command: { RequestType: 'ProfileList' } }, 201),
    problems: system.problems,
    stop: async () => {
      await system.stop();
      await redis.close();
    },
  };
}

/**
 * Ids per enqueue call: NanoMDM inserts a call's queue rows in one statement with two parameters per id, and
 * Postgres takes at most 65,535 parameters.
 */
export const ENQUEUE_MAX_IDS = 30_000;

/** NanoMDM, its ids on the URL path in chunks sent together (its URL holds about 1 MB). */
export async function nanomdmTarget({ stamp, adminUrl, ids, devices, fake, dir }) {
  const nano = await startNanomdm({ dir, adminUrl, db: `mdm_bench_peers_nano_${stamp}`, deviceCaFile: ids.caCertFile, fake, devices, topic: fake.topic });
  const each = async (udids, fn, maxIds) => {
    const answers = await Promise.all(urlChunks(udids, maxIds).map(fn));
    const bad = answers.find((a) => a.status !== 200);
    if (bad) throw new Error(`NanoMDM: ${bad.status} ${bad.text.slice(0, 300)}`);
  };
  return {
    name: 'NanoMDM',
    url: nano.url,
    checkinPath: '/mdm',
    db: nano.db,
    processes: [['nanomdm', nano.pid]],
    serverRoles: ['nanomdm', 'postgres'],
    pushPids: [nano.pid],
    chunks: (udids) => ({ push: urlChunks(udids).length, enqueue: urlChunks(udids, ENQUEUE_MAX_IDS).length }),
    push: (udids) => each(udids, (ids) => nano.api('GET', `/v1/push/${ids}`)),
    enqueueOnly: (udids) => each(udids, (ids) => nano.api('PUT', `/v1/enqueue/${ids}?nopush=1`, commandPlist('ProfileList')), ENQUEUE_MAX_IDS),
    command: (udids) => each(udids, (ids) => nano.api('PUT', `/v1/enqueue/${ids}`, commandPlist('ProfileList')), ENQUEUE_MAX_IDS),
    problems: () => [nano.stderr()],
    stop: nano.stop,
  };
}
