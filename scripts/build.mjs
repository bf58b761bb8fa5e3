// `npm run build` (and so `npm start`): compiles the services and the console, each only when its inputs
// changed since its last successful build. A hash of the inputs is kept in dist/.build/, so deleting dist/
// (or `--force`) builds everything again; tsc's own incremental state makes a changed build shorter too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATE = path.join(ROOT, 'dist/.build');
const force = process.argv.includes('--force');

/** Files under `dir` (relative to the root) whose name passes `keep`, recursively. */
function filesUnder(dir, keep) {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** What tsconfig.build.json compiles (sources and the JSON they import), and what decides how. */
function serviceInputs() {
  const source = (name) => /\.(ts|json)$/.test(name) && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(name);
  const projects = ['apps', 'libs'].flatMap((top) =>
    readdirSync(path.join(ROOT, top))
      .filter((p) => p !== 'console')
      .map((p) => `${top}/${p}/src`),
  );
  return [...projects.flatMap((dir) => filesUnder(dir, source)), 'tsconfig.base.json', 'tsconfig.build.json', 'package-lock.json'];
}

/**
 * The console's own files and whatever its last type check read outside it (tsc --listFiles: the protocol
 * catalog, shared types), so a change elsewhere in libs/ does not rebuild it.
 */
function consoleInputs() {
  const listed = existsSync(path.join(STATE, 'console-files.json')) ? JSON.parse(readFileSync(path.join(STATE, 'console-files.json'), 'utf8')) : [];
  return [...new Set([...filesUnder('apps/console', (name) => name !== 'README.md'), ...listed, 'package-lock.json'])];
}

function fingerprint(files) {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(file).update('\0');
    hash.update(existsSync(path.join(ROOT, file)) ? readFileSync(path.join(ROOT, file)) : 'missing').update('\0');
  }
  return hash.digest('hex');
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) {
    process.stdout.write(res.stdout ?? '');
    process.exit(res.status ?? 1);
  }
  return res.stdout;
}

const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');

const steps = [
  {
    name: 'services',
    inputs: serviceInputs,
    output: 'dist/apps/gateway/src/main.js',
    build: () => {
      run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', path.join(STATE, 'services.tsbuildinfo')]);
      run(process.execPath, [path.join(ROOT, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json']);
    },
  },
  {
    name: 'console',
    inputs: consoleInputs,
    output: 'dist/apps/console/public/index.html',
    build: () => {
      const listed = run(process.execPath, [tsc, '-p', 'apps/console/tsconfig.json', '--listFiles', '--incremental', '--tsBuildInfoFile', path.join(STATE, 'console.tsbuildinfo')]);
      const outside = listed
        .split('\n')
        .map((f) => path.relative(ROOT, f.trim()))
        .filter((f) => f && !f.startsWith('..') && !f.startsWith('node_modules') && !f.startsWith('apps/console/'));
      writeFileSync(path.join(STATE, 'console-files.json'), JSON.stringify(outside.sort(), null, 1));
      run(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'apps/console/vite.config.mjs']);
    },
  },
];

mkdirSync(STATE, { recursive: true });
for (const step of steps) {
  const stampFile = path.join(STATE, `${step.name}.stamp`);
  const inputs = step.inputs();
  const before = fingerprint(inputs);
  if (!force && existsSync(path.join(ROOT, step.output)) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === before) {
    console.log(`build: ${step.name} unchanged, skipped`);
    continue;
  }
  const started = Date.now();
  step.build();
  // The console's inputs are known only after its type check: fingerprinted again when they grew.
  const after = step.inputs();
  writeFileSync(stampFile, after.length === inputs.length && after.every((f) => inputs.includes(f)) ? before : fingerprint(after));
  console.log(`build: ${step.name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
