// The bare-client baselines of the push bench: N pushes at the fake APNs from node:http2 alone, http2-wrapper's
// Agent and @parse/node-apn, with the CPU each used.
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import path from 'node:path';
import { log } from '../lib/common.mjs';
import { cpuDelta, cpuSnapshot } from '../lib/cpu.mjs';
import { waitForPushes } from '../lib/fake-apns.mjs';

const require = createRequire(import.meta.url);
const http2wrapper = require('http2-wrapper');
// node-apn refuses a certificate without Apple's sandbox/production extension, which the fake's certificate has
// no reason to carry; stub that one check (nothing on the wire changes) before the library loads it.
const validatePath = path.join(path.dirname(require.resolve('@parse/node-apn/package.json')), 'lib/credentials/certificate/validate.js');
require.cache[validatePath] = { id: validatePath, filename: validatePath, loaded: true, exports: () => undefined };
const apn = require('@parse/node-apn');

/** `cfg`: { n, maxStreams, timeoutMs, tokenOf } of the run. */
const pushHeaders = (topic) => ({
  ':method': 'POST',
  'apns-topic': topic,
  'apns-push-type': 'mdm',
  'apns-priority': '10',
  'apns-expiration': String(Math.floor(Date.now() / 1000) + 86400),
});
const body = (i) => JSON.stringify({ mdm: `magic-${i}` });

/** node:http2, one session, as many streams in flight as the server allows. */
export async function bareHttp2(fake, cfg) {
  const session = http2.connect(fake.url, { cert: fake.certPem, key: fake.keyPem, ca: fake.caPem });
  await new Promise((resolve, reject) => {
    session.once('remoteSettings', resolve);
    session.once('error', reject);
  });
  const headers = pushHeaders(fake.topic);
  let next = 0;
  let failed = 0;
  const limit = () => Math.min(session.remoteSettings.maxConcurrentStreams ?? 100, cfg.maxStreams);
  await new Promise((resolve) => {
    let inFlight = 0;
    let done = 0;
    const pump = () => {
      while (inFlight < limit() && next < cfg.n) {
        const i = next++;
        inFlight++;
        const req = session.request({ ...headers, ':path': `/3/device/${cfg.tokenOf(i)}` });
        req.on('response', (h) => {
          if (h[':status'] !== 200) failed++;
        });
        req.on('error', () => failed++);
        req.resume();
        req.on('close', () => {
          inFlight--;
          if (++done === cfg.n) resolve();
          else pump();
        });
        req.end(body(i));
      }
    };
    pump();
  });
  session.close();
  return { failed };
}

/**
 * http2-wrapper's Agent (session pooling), same window of in-flight requests. Its sessions close now and then
 * under load ("Session closed with error code 2"); the requests caught in that are re-sent, as a real client would,
 * and counted.
 */
export async function wrapperAgent(fake, cfg) {
  const agent = new http2wrapper.Agent({ maxSessions: Number(process.env.BENCH_WRAPPER_SESSIONS ?? 1) });
  const window = Number(process.env.BENCH_WRAPPER_WINDOW ?? cfg.maxStreams);
  const headers = pushHeaders(fake.topic);
  delete headers[':method'];
  let next = 0;
  let failed = 0;
  let resent = 0;
  const retry = [];
  const errors = new Map();
  await new Promise((resolve) => {
    let inFlight = 0;
    let done = 0;
    const pump = () => {
      while (inFlight < window && (retry.length || next < cfg.n)) {
        const i = retry.length ? retry.pop() : next++;
        inFlight++;
        let settled = false;
        const req = http2wrapper.request(
          `${fake.url}/3/device/${cfg.tokenOf(i)}`,
          { method: 'POST', headers, agent, cert: fake.certPem, key: fake.keyPem, ca: fake.caPem },
          (res) => {
            if (res.statusCode !== 200) failed++;
            res.resume();
            res.on('end', () => finish(true));
          },
        );
        req.on('error', (err) => {
          errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
          if (resent++ > cfg.n) failed++;
          else retry.push(i);
          finish(false);
        });
        req.end(body(i));
        function finish(completed) {
          if (settled) return;
          settled = true;
          inFlight--;
          if (completed && ++done === cfg.n) resolve();
          else pump();
        }
      }
    };
    pump();
  });
  agent.destroy();
  if (resent) log(`http2-wrapper: re-sent ${resent} requests after ${[...errors].map(([m, n]) => `${n} × "${m}"`).join(', ')}`);
  return { failed, resent };
}

/** @parse/node-apn's Provider, fed in chunks so its own queue never holds the whole fleet at once. */
export async function nodeApn(fake, cfg) {
  const url = new URL(fake.url);
  const provider = new apn.Provider({
    cert: fake.certPem,
    key: fake.keyPem,
    ca: fake.caPem,
    address: url.hostname,
    port: Number(url.port),
    production: false,
  });
  let failed = 0;
  const CHUNK = cfg.maxStreams;
  const chunks = [];
  for (let start = 0; start < cfg.n; start += CHUNK) {
    const tokens = [];
    for (let i = start; i < Math.min(cfg.n, start + CHUNK); i++) tokens.push(cfg.tokenOf(i));
    chunks.push(tokens);
  }
  // Two chunks in flight keeps its stream window full without handing it all N notifications up front.
  let idx = 0;
  const worker = async () => {
    while (idx < chunks.length) {
      const tokens = chunks[idx++];
      const note = new apn.Notification();
      note.topic = fake.topic;
      note.pushType = 'mdm';
      note.priority = 10;
      note.expiry = Math.floor(Date.now() / 1000) + 86400;
      note.rawPayload = { mdm: 'magic' };
      const res = await provider.send(note, tokens);
      failed += res.failed.length;
    }
  };
  await Promise.all([worker(), worker()]);
  await provider.shutdown();
  return { failed };
}

export async function baseline(name, fake, fn, cfg) {
  await fake.reset();
  const roles = [['fake APNs', fake.child.pid], ['client', process.pid]];
  const cpu0 = cpuSnapshot(roles);
  const t0 = performance.now();
  const { failed, resent = 0 } = await fn(fake, cfg);
  const c = await waitForPushes(fake, cfg.n, cfg.timeoutMs);
  const seconds = (performance.now() - t0) / 1000;
  const { usPerUnit, ...pct } = cpuDelta(cpu0, cpuSnapshot(roles), seconds, cfg.n);
  const cpu = { ...pct, usPerPush: usPerUnit };
  log(`${name}: ${cfg.n} pushes in ${seconds.toFixed(2)} s (${Math.round(cfg.n / seconds)}/s), ${failed} failed, fake saw ${c.pushes}; CPU % of one core: fake ${cpu['fake APNs']}, client ${cpu.client}, machine ${cpu.machineBusy}; ${cpu.usPerPush} CPU µs/push`);
  if (failed) throw new Error(`${name}: ${failed} pushes failed`);
  return { name, seconds, rate: cfg.n / seconds, resent, cpu };
}
