// The side-by-side report: each figure for ours and NanoMDM with the ratio and the target's verdict, then CPU µs
// per operation by process for every measurement.
import { table } from '../lib/common.mjs';

const fmt = (v) => (v === undefined || Number.isNaN(v) ? '-' : v >= 100 ? String(Math.round(v)) : v.toFixed(1));

/**
 * `ours` and `peer` are the scenario results of each system (peer undefined when NanoMDM did not run).
 * Answers { text, misses }.
 */
export function report({ ours, peer, levels, n, peerChunks }) {
  const rows = [['figure', 'ours', 'NanoMDM', 'ours / NanoMDM', 'target', 'verdict']];
  let misses = 0;
  const add = (figure, a, b, target, check) => {
    const ratio = a !== undefined && b ? a / b : undefined;
    let verdict = '-';
    if (check && a !== undefined) {
      const ok = check(a, ratio);
      if (ok !== undefined) {
        verdict = ok ? 'PASS' : 'MISS';
        if (!ok) misses++;
      }
    }
    rows.push([figure, fmt(a), fmt(b), ratio === undefined ? '-' : ratio.toFixed(2), target, verdict]);
  };
  const ratioAtLeast = (x) => (_a, r) => (r === undefined ? undefined : r >= x);
  const ratioAtMost = (x) => (_a, r) => (r === undefined ? undefined : r <= x);
  if (ours.checkins) {
    for (const c of levels) {
      const need = c <= 2 ? 1 : 2;
      add(`check-ins/s, ${c} concurrent`, ours.checkins[c]?.rate, peer?.checkins?.[c]?.rate, `≥ ${need}×`, ratioAtLeast(need));
      add(`server CPU µs/check-in, ${c} concurrent`, ours.checkins[c]?.us.server, peer?.checkins?.[c]?.us.server, '≤ 1×', ratioAtMost(1));
    }
  }
  if (ours.push) {
    add('push fan-out, pushes/s', ours.push.rate, peer?.push?.rate, '≥ 1×', ratioAtLeast(1));
    add('server CPU µs/push', ours.push.us.server, peer?.push?.us.server, '≤ 1.5×', ratioAtMost(1.5));
    add('Postgres CPU µs/push', ours.push.us.postgres, peer?.push?.us.postgres, 'ours ≤ 30', (a) => a <= 30);
  }
  if (ours.command) {
    add('command: API answer devices/s vs NanoMDM enqueue rows/s', ours.command.answerRate, peer?.command?.enqueueRate, '≥ 1×', ratioAtLeast(1));
    add('command: end to end devices/s (call → last push)', ours.command.e2eRate, peer?.command?.e2eRate, '≥ 1×', ratioAtLeast(1));
    add('command: server CPU µs/device (end to end)', ours.command.us.server, peer?.command?.us.server, '≤ 2×', ratioAtMost(2));
  }
  const rss = Math.max(ours.push?.rssMb ?? 0, ours.command?.rssMb ?? 0);
  const peerRss = Math.max(peer?.push?.rssMb ?? 0, peer?.command?.rssMb ?? 0);
  if (rss) add(`push worker RSS peak MB (NanoMDM: its process), ${n} devices`, rss, peerRss || undefined, 'ours < 150', (a) => (n >= 100_000 ? a < 150 : undefined));

  const lines = [table(rows), ''];
  if (peerChunks) {
    lines.push(
      `NanoMDM takes ids on the URL (about 1 MB at most): ${n} ids went to /v1/push as ${peerChunks.push} chunk(s) sent concurrently, and to /v1/enqueue ` +
        `as ${peerChunks.enqueue} chunk(s) of at most 30,000 sent concurrently (it binds two Postgres parameters per id, at most 65,535 per statement).`,
    );
  }
  lines.push('Server CPU: ours = every service + Postgres backends of its database + its own redis-server; NanoMDM = its process + Postgres backends of its database. The fake APNs and the load driver are not server CPU.');
  if (n < 100_000) lines.push(`RSS target not judged: it is set for 100,000 devices (this run: ${n}).`);
  lines.push('', ...cpuTables({ ours, peer, levels }));
  return { text: lines.join('\n'), misses };
}

/** One table per scenario: rows are processes, columns each measurement's CPU µs per operation. */
function cpuTables({ ours, peer, levels }) {
  const columns = [];
  const both = (label, pick) => {
    const a = pick(ours);
    if (a) columns.push([`${label} ours`, a]);
    const b = peer && pick(peer);
    if (b) columns.push([`${label} NanoMDM`, b]);
  };
  const sections = [];
  const emit = (title) => {
    if (!columns.length) return;
    const roles = [...new Set(columns.flatMap(([, us]) => Object.keys(us)))].filter((r) => r !== 'server');
    // Server processes first, then the shared stores, then what drives the load.
    const rank = (r) => ['nanomdm', 'postgres', 'redis-server', 'fake APNs', 'load driver'].indexOf(r);
    roles.sort((x, y) => rank(x) - rank(y));
    const rows = [['process', ...columns.map(([h]) => h)]];
    for (const role of [...roles, 'server']) rows.push([role === 'server' ? 'SERVER TOTAL' : role, ...columns.map(([, us]) => fmt(us[role]))]);
    sections.push(`${title} (CPU µs per operation, by process)`, table(rows), '');
    columns.length = 0;
  };
  for (const c of levels) both(`check-in@${c}`, (r) => r.checkins?.[c]?.us);
  emit('Check-ins');
  both('push', (r) => r.push?.us);
  emit('Push fan-out');
  both('enqueue, no push', (r) => r.command?.enqueueUs);
  both('command e2e', (r) => r.command?.us);
  emit('One command to every device');
  return sections;
}
