// Runs `npm run build` when what a local run needs is missing from dist/ or older than a source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCES = ['apps', 'libs'];
const SOURCE_FILE = /\.(ts|tsx|css|html|json)$/;
/** Tests are not built: changing one needs no build. */
const TEST_FILE = /[.-]spec\.ts$/;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (SOURCE_FILE.test(entry.name) && !TEST_FILE.test(entry.name)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/** `outputs` are paths under `root`; answers what it did, for one line of output. */
export function buildIfNeeded(root, outputs) {
  const missing = outputs.filter((f) => !existsSync(path.join(root, f)));
  const builtAt = missing.length ? 0 : Math.min(...outputs.map((f) => statSync(path.join(root, f)).mtimeMs));
  const changedAt = Math.max(...SOURCES.map((d) => newestSource(path.join(root, d))));
  if (!missing.length && builtAt >= changedAt) return 'build is up to date';
  console.log(missing.length ? `building: ${missing[0]} is missing` : 'building: sources changed since the last build');
  const res = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('npm run build failed');
  return 'built';
}
