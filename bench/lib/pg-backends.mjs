// CPU of the Postgres backends serving one database. They come and go (a Go pool closes idle connections), so
// they are sampled every 100 ms: one that started in the window counts from zero, one that ended keeps its
// last sample (at most one interval of its CPU is lost).
import { readdirSync, readFileSync } from 'node:fs';

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / 100, start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

function uptimeTicks() {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
}

/** Starts watching the backends of database `db`; `stop()` answers their CPU seconds since then. */
export function watchBackends(db) {
  // A backend's title names its database followed by a space (client backends) or the end (autovacuum workers).
  const marker = new RegExp(` ${db}[ \\0]`);
  const notOurs = new Set();
  const seen = new Map(); // pid -> { first, last }
  const startTicks = uptimeTicks();
  const scan = () => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || notOurs.has(name)) continue;
      let entry = seen.get(name);
      if (!entry) {
        let comm = '';
        let cmdline = '';
        try {
          comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
          if (comm === 'postgres') cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        // A backend just forked still shows the postmaster's command line: look again next time.
        if (comm !== 'postgres') notOurs.add(name);
        if (!marker.test(cmdline)) continue;
        const s = stat(name);
        if (!s) continue;
        entry = { first: s.start >= startTicks ? 0 : s.cpu, last: s.cpu };
        seen.set(name, entry);
      }
      const s = stat(name);
      if (s) entry.last = s.cpu;
    }
  };
  scan();
  const timer = setInterval(scan, 100);
  return {
    stop() {
      clearInterval(timer);
      scan();
      let total = 0;
      for (const { first, last } of seen.values()) total += last - first;
      return total;
    },
  };
}
