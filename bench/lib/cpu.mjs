// CPU accounting for the benchmarks (Linux /proc): per process, per process name (Postgres backends come and
// go), and the whole machine, so a figure can be told apart from whatever else shared the cores.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return NaN;
  }
}

/** CPU seconds of every process whose name is one of `names` (Postgres backends come and go; sum them). */
export function cpuByName(names) {
  const out = Object.fromEntries(names.map((n) => [n, 0]));
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const key = names.find((n) => name.startsWith(n));
      if (key === undefined) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[key] += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * Where the machine's CPU went so far: our processes by role (`procs`: [role, pid] pairs; a role may name
 * several pids), every postgres and redis-server process, and the whole machine's busy time (`machineBusy`).
 */
export function cpuSnapshot(procs) {
  const byRole = {};
  for (const [role, pid] of procs) byRole[role] = (byRole[role] ?? 0) + cpuSeconds(pid);
  const [cpuLine] = readFileSync('/proc/stat', 'utf8').split('\n');
  const ticks = cpuLine.split(/\s+/).slice(1).map(Number);
  return { ...byRole, ...cpuByName(['postgres', 'redis-server']), machineBusy: (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / 100 };
}

/** CPU seconds used between two snapshots, per key. Sums of several deltas (e.g. timed rounds) add up. */
export function cpuUsed(a, b) {
  return Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
}

/** Adds CPU seconds per key (to sum the deltas of several timed windows). */
export function cpuAdd(total, used) {
  const out = { ...total };
  for (const [k, v] of Object.entries(used)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/**
 * % of one core per key over `seconds` (machineBusy: the whole machine, 200 % = both cores of a 2-core box), plus
 * `usPerUnit`: the CPU µs of every key but machineBusy and `exclude` (the driving processes), divided by `units`.
 */
export function cpuReport(used, seconds, units, exclude = ['bench']) {
  const pct = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, +((v / seconds) * 100).toFixed(0)]));
  const ours = Object.keys(used).filter((k) => k !== 'machineBusy' && !exclude.includes(k)).reduce((sum, k) => sum + used[k], 0);
  return { ...pct, usPerUnit: Math.round((ours / units) * 1e6) };
}

/** Snapshot-to-snapshot in one call: % of one core per role over `seconds` and CPU µs per unit. */
export function cpuDelta(a, b, seconds, units, exclude) {
  return cpuReport(cpuUsed(a, b), seconds, units, exclude);
}

/** Resident set size of a process in MB (NaN once it is gone). */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
