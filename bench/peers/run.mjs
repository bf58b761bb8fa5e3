// `npm run bench:peers`: ours and NanoMDM one after the other, against the same fake APNs process, on the same
// seeded devices; each figure side by side with the ratio and the target's verdict. See bench/README.md.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitCommit, log } from '../lib/common.mjs';
import { startFake } from '../lib/fake-apns.mjs';
import { startGenerator } from '../lib/generator.mjs';
import { deviceIdentities } from '../lib/identities.mjs';
import { APPLE_PUSH_HOST, findNanomdm } from './nanomdm.mjs';
import { report } from './report.mjs';
import { checkins, commandAll, pushFanout } from './scenarios.mjs';
import { nanomdmTarget, ourTarget } from './targets.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env.BENCH_DEVICES ?? 100_000);
const CHECKINS = Number(process.env.BENCH_CHECKINS ?? 5000);
const LEVELS = (process.env.BENCH_LEVELS ?? '2,8,16').split(',').map(Number);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'checkin,push,command').split(',');
const KEYS = Number(process.env.BENCH_KEYS ?? 32);
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? Math.max(120_000, N * 3));
const STAMP = `${Date.now()}`;

const tokenOf = (udid) => createHash('sha256').update(`tok${udid}`).digest('hex');

/** The scenarios BENCH_SCENARIOS selects, in an order where none leaves work for the next (check-ins first: no queue). */
async function runScenarios(target, ctx, udids) {
  const out = {};
  try {
    if (SCENARIOS.includes('checkin')) out.checkins = await checkins(target, ctx, { levels: LEVELS, count: CHECKINS, signed: ctx.signed });
    if (SCENARIOS.includes('push')) out.push = await pushFanout(target, ctx, udids);
    if (SCENARIOS.includes('command')) out.command = await commandAll(target, ctx, udids);
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    log(`${target.name}: ERROR ${out.error}`);
    for (const line of target.problems()) log(line);
  }
  return out;
}

async function main() {
  const commit = gitCommit(ROOT);
  const peerDir = process.env.BENCH_PEERS === 'off' ? undefined : findNanomdm(ROOT);
  const machine = `${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
  log(`N=${N}, ${CHECKINS} check-ins per level at ${LEVELS.join('/')} concurrent, scenarios ${SCENARIOS.join(', ')}; ${machine}; commit ${commit}`);
  const peerNote = peerDir
    ? `NanoMDM from ${peerDir}`
    : `NanoMDM NOT RUN (${process.env.BENCH_PEERS === 'off' ? 'BENCH_PEERS=off' : `no ${path.resolve(ROOT, '../shared/peers/nanomdm')}`}): ours alone`;
  log(peerNote);

  const ids = await deviceIdentities(mkdtempSync(path.join(tmpdir(), 'bench-peers-')), N, KEYS);
  const devices = ids.devices.map((d) => ({ ...d, token: tokenOf(d.udid), magic: `magic-${d.udid}` }));
  const udids = devices.map((d) => d.udid);
  // NanoMDM can only reach Apple's host name on 443: the fake takes that port whenever NanoMDM runs.
  const fake = await startFake(ROOT, { port: peerDir ? 443 : 0, serverNames: [APPLE_PUSH_HOST] });
  const gen = startGenerator();
  const signed = Math.min(N, CHECKINS);
  const results = {};
  let failed = false;
  try {
    const ready = await gen.ask({
      type: 'init',
      concurrency: Math.max(...LEVELS),
      signatureCache: `${ids.cacheFile.replace(/\.json$/, '')}-idle-${signed}.json`,
      keys: ids.keys,
      devices: devices.slice(0, signed).map((d) => ({ udid: d.udid, certPem: d.certPem, key: d.key })),
    });
    log(`load generator signed ${signed - ready.reused} Idle bodies (reused ${ready.reused}) in ${ready.seconds.toFixed(1)} s`);
    const ctx = {
      fake,
      gen,
      signed,
      timeoutMs: TIMEOUT_MS,
      others: [['fake APNs', fake.child.pid], ['load driver', process.pid], ['load driver', gen.child.pid]],
    };
    const common = { stamp: STAMP, adminUrl: ADMIN_URL, ids, devices, fake, timeoutMs: TIMEOUT_MS };
    const starts = [['ours', () => ourTarget(common)]];
    if (peerDir) starts.push(['peer', () => nanomdmTarget({ ...common, dir: peerDir })]);
    for (const [key, start] of starts) {
      let target;
      try {
        target = await start();
        results[key] = await runScenarios(target, ctx, udids);
        if (target.chunks) results.peerChunks = target.chunks(udids);
      } catch (err) {
        results[key] = { error: err instanceof Error ? err.message : String(err) };
        log(`${key}: ERROR ${results[key].error}`);
      } finally {
        await target?.stop();
      }
      if (results[key].error) failed = true;
    }
  } finally {
    await gen.close();
    await fake.close();
  }
  console.log(`\nPeers benchmark: ${N} devices, ${SCENARIOS.includes('checkin') ? `${CHECKINS} check-ins per level, ` : ''}${new Date().toISOString()}, commit ${commit}, ${machine}`);
  console.log(`${peerNote}\n`);
  for (const [key, r] of Object.entries(results)) if (r.error) console.log(`${key === 'ours' ? 'ours' : 'NanoMDM'}: ERROR ${r.error}`);
  const { text } = report({ ours: results.ours ?? {}, peer: results.peer, levels: LEVELS, n: N, peerChunks: results.peerChunks });
  console.log(text);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
