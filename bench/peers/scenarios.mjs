// The three scenarios, each run the same way against ours and NanoMDM: check-ins at several concurrency levels,
// a push to every device, one command to every device. Each answers figures and CPU µs per operation by role.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { log } from '../lib/common.mjs';
import { settleAndReset, waitForPushes } from '../lib/fake-apns.mjs';
import { measure, perUnit, sampleRss } from './measure.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { buildPlist } = require(path.join(ROOT, 'dist/libs/protocol/src/index.js'));

/** NanoMDM takes ids on the URL path; Go's server reads at most 1 MB of request headers, so leave room. */
const MAX_URL_IDS_BYTES = 900_000;

/** Comma-joined id lists of at most MAX_URL_IDS_BYTES and `maxIds` ids each. */
export function urlChunks(udids, maxIds = Infinity) {
  const chunks = [];
  let current = [];
  let bytes = 0;
  for (const u of udids) {
    if ((bytes + u.length + 1 > MAX_URL_IDS_BYTES || current.length >= maxIds) && current.length) {
      chunks.push(current.join(','));
      current = [];
      bytes = 0;
    }
    current.push(u);
    bytes += u.length + 1;
  }
  if (current.length) chunks.push(current.join(','));
  return chunks;
}

/**
 * Signed Idle connects at each concurrency level in `levels`, `count` per level, after an untimed warm-up.
 * Devices 0..signed-1 take turns (the generator holds `signed` signed bodies).
 */
export async function checkins(target, ctx, { levels, count, signed }) {
  const indices = Array.from({ length: count }, (_, i) => i % signed);
  const round = (concurrency, idx) => ctx.gen.ask({ type: 'round', url: target.url, path: target.checkinPath, concurrency, mode: 'system', indices: idx });
  const warm = await round(8, indices.slice(0, Math.min(count, 1000)));
  if (!warm.statuses[200]) throw new Error(`${target.name}: warm-up check-ins got no 200 (${warm.samples.join(' | ')})`);
  const out = {};
  for (const c of levels) {
    const m = await measure(target, ctx.others, () => round(c, indices));
    const res = m.result;
    const bad = Object.entries(res.statuses).filter(([s]) => s !== '200');
    const problems = Object.entries(res.problems).filter(([, v]) => v);
    if (bad.length) log(`${target.name} check-ins at ${c}: NON-200 ${JSON.stringify(Object.fromEntries(bad))}: ${res.samples.slice(0, 2).join(' | ')}`);
    if (problems.length) log(`${target.name} check-ins at ${c}: unexpected answers ${JSON.stringify(Object.fromEntries(problems))}`);
    const requests = res.latencies.length;
    out[c] = { rate: requests / res.seconds, requests, ok: !bad.length, us: perUnit(m, requests) };
    log(`${target.name} check-ins at ${c} concurrent: ${requests} in ${res.seconds.toFixed(2)} s = ${Math.round(out[c].rate)}/s, server CPU ${Math.round(out[c].us.server)} µs each`);
  }
  return out;
}

/** Pushes at the fake from `t0Wall` (epoch ms) to the last one: the end-to-end seconds. */
async function lastPushSeconds(fake, t0Wall) {
  const { receivedAt } = await fake.received();
  return (receivedAt.reduce((a, b) => Math.max(a, b), 0) - t0Wall) / 1000;
}

/** One push to every device: ours one POST /v1/push, NanoMDM GET /v1/push/<ids> in URL-sized chunks sent together. */
export async function pushFanout(target, ctx, udids) {
  await settleAndReset(ctx.fake);
  const rss = sampleRss(target.pushPids);
  const t0Wall = Date.now();
  const m = await measure(target, ctx.others, async () => {
    await target.push(udids);
    await waitForPushes(ctx.fake, udids.length, ctx.timeoutMs);
  });
  const seconds = await lastPushSeconds(ctx.fake, t0Wall);
  const out = { rate: udids.length / seconds, seconds, us: perUnit(m, udids.length), rssMb: rss.stop() };
  log(`${target.name} push fan-out: ${udids.length} pushes in ${seconds.toFixed(2)} s = ${Math.round(out.rate)}/s, server CPU ${Math.round(out.us.server)} µs, Postgres ${Math.round(out.us.postgres)} µs each`);
  return out;
}

/**
 * One command to every device. Ours: one POST /v1/commands (push on): the answer's rate and end to end (call →
 * last push). NanoMDM: PUT /v1/enqueue/<ids>?nopush=1 (the enqueue rate), then with push (end to end).
 */
export async function commandAll(target, ctx, udids) {
  const n = udids.length;
  const out = {};
  if (target.enqueueOnly) {
    const m = await measure(target, ctx.others, () => target.enqueueOnly(udids));
    out.enqueueRate = n / m.seconds;
    out.enqueueUs = perUnit(m, n);
    log(`${target.name} enqueue without push: ${n} rows in ${m.seconds.toFixed(2)} s = ${Math.round(out.enqueueRate)}/s`);
  }
  await settleAndReset(ctx.fake);
  const rss = sampleRss(target.pushPids);
  const t0Wall = Date.now();
  let answered;
  const m = await measure(target, ctx.others, async () => {
    const t0 = performance.now();
    await target.command(udids);
    answered = (performance.now() - t0) / 1000;
    await waitForPushes(ctx.fake, n, ctx.timeoutMs);
  });
  const seconds = await lastPushSeconds(ctx.fake, t0Wall);
  Object.assign(out, { answerRate: n / answered, answerSeconds: answered, e2eRate: n / seconds, seconds, us: perUnit(m, n), rssMb: rss.stop() });
  log(`${target.name} command to every device: answered in ${answered.toFixed(2)} s (${Math.round(out.answerRate)}/s), last push after ${seconds.toFixed(2)} s (${Math.round(out.e2eRate)}/s), server CPU ${Math.round(out.us.server)} µs per device`);
  return out;
}

/** A command plist as NanoMDM's enqueue takes it, with a CommandUUID of its own. */
export function commandPlist(requestType) {
  return buildPlist({ CommandUUID: randomUUID().toUpperCase(), Command: { RequestType: requestType } });
}
