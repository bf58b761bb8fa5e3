// One timed window: wall time and the CPU seconds of every process involved, by role (Postgres: the backends
// of the target's database only; other databases on this machine belong to other work).
import { cpuSeconds, rssMb } from '../lib/cpu.mjs';
import { watchBackends } from '../lib/pg-backends.mjs';

/**
 * A system under test: `name`, `processes` ([role, pid] pairs: the server processes that are its own), `db` (its
 * database), `serverRoles` (the roles that count as its server CPU, Postgres and Redis included).
 * `others`: [role, pid] pairs measured alongside (the fake, the load driver).
 */
export async function measure(target, others, fn) {
  const roles = [...target.processes, ...others];
  const before = roles.map(([, pid]) => cpuSeconds(pid));
  const backends = watchBackends(target.db);
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = { postgres: backends.stop() };
  roles.forEach(([role, pid], i) => (cpu[role] = (cpu[role] ?? 0) + (cpuSeconds(pid) - before[i])));
  const server = target.serverRoles.reduce((sum, role) => sum + (cpu[role] ?? 0), 0);
  return { seconds, cpu, server, result };
}

/** CPU µs per unit of each role, and of the server as a whole. */
export function perUnit(m, units) {
  const out = Object.fromEntries(Object.entries(m.cpu).map(([k, v]) => [k, (v / units) * 1e6]));
  return { ...out, server: (m.server / units) * 1e6 };
}

/** Samples the VmRSS of `pids` every 200 ms; `stop()` answers the peak in MB. */
export function sampleRss(pids) {
  let peak = 0;
  const sample = () => {
    for (const pid of pids) peak = Math.max(peak, rssMb(pid) || 0);
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
