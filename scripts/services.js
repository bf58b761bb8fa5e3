// Starts the six services as separate processes, exactly as `npm start` runs them. Shared by
// scripts/start.mjs and the end-to-end tests (CommonJS so both can load it without a build step).
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * Start order: owners first, the edge last (it fetches the device CA from enrollment). `metricsPort`: the
 * gateway's port is public, so Prometheus scrapes it on an internal one (METRICS_PORT); the others serve
 * /metrics on their own port.
 */
const SERVICES = [
  { name: 'enrollment', port: 8081 },
  { name: 'command', port: 8082 },
  { name: 'push', port: 8083 },
  { name: 'profile', port: 8084 },
  { name: 'integrations', port: 8085 },
  { name: 'gateway', port: 8080, metricsPort: 9464 },
];

/**
 * The push worker's live heap is ~40 MB, but V8's default sizing lets its RSS grow to ~300 MB under
 * a fleet-wide push; these bounds keep it near 150 MB (bench/RESULTS.md). PUSH_NODE_OPTIONS overrides.
 */
const PUSH_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=128';

function serviceEnv(name, baseEnv, ports, metricsPorts) {
  const env = { ...baseEnv, PORT: String(ports[name]) };
  if (metricsPorts[name] !== undefined) env.METRICS_PORT = String(metricsPorts[name]);
  if (name === 'push') env.NODE_OPTIONS = [baseEnv.NODE_OPTIONS, baseEnv.PUSH_NODE_OPTIONS ?? PUSH_NODE_OPTIONS].filter(Boolean).join(' ');
  env.ENROLLMENT_SERVICE_URL ??= `http://127.0.0.1:${ports.enrollment}`;
  env.COMMAND_SERVICE_URL ??= `http://127.0.0.1:${ports.command}`;
  env.PROFILE_SERVICE_URL ??= `http://127.0.0.1:${ports.profile}`;
  env.INTEGRATIONS_SERVICE_URL ??= `http://127.0.0.1:${ports.integrations}`;
  return env;
}

async function waitHealthy(port, child, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      // Only our own child counts: another process may answer on a port that looked free.
      if (res.ok && (await res.json()).pid === child.pid) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} did not become healthy on port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts one service process. `onOutput(name, line)` receives its log lines.
 * @returns {{ name: string, port: number, child: import('node:child_process').ChildProcess, ready: Promise<void> }}
 */
function startService(name, { env = process.env, ports, metricsPorts, onOutput, timeoutMs = 60000 } = {}) {
  const allPorts = { ...Object.fromEntries(SERVICES.map((s) => [s.name, s.port])), ...ports };
  const allMetricsPorts = { ...Object.fromEntries(SERVICES.filter((s) => s.metricsPort).map((s) => [s.name, s.metricsPort])), ...metricsPorts };
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', name, 'src/main.js')], {
    env: serviceEnv(name, env, allPorts, allMetricsPorts),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onOutput?.(name, buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const ready = waitHealthy(allPorts[name], child, name, timeoutMs);
  return { name, port: allPorts[name], child, ready };
}

/** Stops a service: SIGTERM (graceful) or SIGKILL (a crash), resolving when it is gone. */
function stopService(svc, signal = 'SIGTERM', timeoutMs = 15000) {
  return new Promise((resolve) => {
    if (svc.child.exitCode !== null || svc.child.signalCode !== null) return resolve();
    const timer = setTimeout(() => svc.child.kill('SIGKILL'), timeoutMs);
    svc.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    svc.child.kill(signal);
  });
}

/** Starts all six services in order and waits until each is healthy. */
async function startAll(opts = {}) {
  const started = [];
  try {
    for (const { name } of SERVICES) {
      const svc = startService(name, opts);
      started.push(svc);
      await svc.ready;
    }
  } catch (err) {
    await Promise.all(started.map((s) => stopService(s, 'SIGKILL')));
    throw err;
  }
  return started;
}

module.exports = { SERVICES, ROOT, startService, stopService, startAll };
