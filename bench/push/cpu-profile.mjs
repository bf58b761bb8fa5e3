// Preload for profiling a service under the benchmark (node 20 refuses --cpu-prof in NODE_OPTIONS):
//   BENCH_PUSH_NODE_OPTIONS="--import ./bench/push/cpu-profile.mjs" BENCH_PROFILE_DIR=/tmp/prof npm run bench:push
// Writes <dir>/<pid>.cpuprofile when the process ends (open it in Chrome DevTools or speedscope).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR || '/tmp/prof';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
let written = false;
// Nest's shutdown hooks re-raise SIGTERM after closing, so the process dies by the signal and 'exit' never
// fires: write the profile when SIGTERM arrives (once, so the re-raised signal still ends the process).
process.once('SIGTERM', () => write());
process.on('exit', () => write());
function write() {
  if (written) return;
  written = true;
  // Same-thread inspector sessions answer synchronously, so this also works inside 'exit'.
  session.post('Profiler.stop', (err, res) => {
    if (err) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
}
