// Starts the six services as separate processes, exactly as `npm start` runs them. Shared by
// scripts/start.mjs and the end-to-end tests (CommonJS so both can load it without a build step).
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * Start order: owners first, the edge last (it fetches the device CA from enrollment). `metricsPort`: the
 * gateway's port is public, so Prometheus scrapes it on an internal one (METRICS_PORT); the others serve
 * /metrics on their own port. `portVariable` sets the port under `npm start`: the gateway keeps `PORT`,
 * each internal service has its own, since every process reads `PORT` for itself.
 */
const SERVICES = [
  { name: 'enrollment', port: 8081, portVariable: 'ENROLLMENT_PORT' },
  { name: 'command', port: 8082, portVariable: 'COMMAND_PORT' },
  { name: 'push', port: 8083, portVariable: 'PUSH_PORT' },
  { name: 'profile', port: 8084, portVariable: 'PROFILE_PORT' },
  { name: 'integrations', port: 8085, portVariable: 'INTEGRATIONS_PORT' },
  { name: 'gateway', port: 8080, portVariable: 'PORT', metricsPort: 9464, metricsPortVariable: 'METRICS_PORT' },
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
  // The enrollment profile names the gateway: on another port, devices must be sent there.
  env.MDM_PUBLIC_URL ??= `http://127.0.0.1:${ports.gateway}`;
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
  const configured = configuredPorts(env);
  const allPorts = { ...configured.ports, ...ports };
  const allMetricsPorts = { ...configured.metricsPorts, ...metricsPorts };
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
  return { name, port: allPorts[name], ...(allMetricsPorts[name] === undefined ? {} : { metricsPort: allMetricsPorts[name] }), child, ready };
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

/**
 * Starts all six services in order and waits until each is healthy. Ports not given in `opts` come from
 * the environment (`portVariable`), else the defaults; a default that is taken is replaced by a free port.
 */
async function startAll(opts = {}) {
  const chosen = await choosePorts(opts.env ?? process.env, opts);
  const started = [];
  try {
    for (const { name } of SERVICES) {
      const svc = startService(name, { ...opts, ...chosen });
      started.push(svc);
      await svc.ready;
    }
  } catch (err) {
    await Promise.all(started.map((s) => stopService(s, 'SIGKILL')));
    throw err;
  }
  return started;
}

/** A port number from the environment, or an error naming the variable. */
function portFromEnv(env, variable) {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${variable}=${raw}: must be a port number (1-65535)`);
  return port;
}

/** Each service's port and metrics port as configured (environment, else default), without probing. */
function configuredPorts(env) {
  const ports = {};
  const metricsPorts = {};
  for (const s of SERVICES) {
    ports[s.name] = portFromEnv(env, s.portVariable) ?? s.port;
    if (s.metricsPort !== undefined) metricsPorts[s.name] = portFromEnv(env, s.metricsPortVariable) ?? s.metricsPort;
  }
  return { ports, metricsPorts };
}

/** Binds `port` on every address (0: any free one) and keeps it, or resolves undefined when it is taken. */
function holdPort(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    server.listen(port, () => resolve(server));
  });
}

/**
 * The ports `startAll` uses: given in `opts` as they are; set in the environment, or the gateway's public
 * default, must be free (an error names the variable); an internal default that is taken becomes a free
 * port. Probes are held until all are chosen, so two picks never meet.
 */
async function choosePorts(env, opts = {}) {
  const configured = configuredPorts(env);
  const ports = { ...configured.ports, ...opts.ports };
  const metricsPorts = { ...configured.metricsPorts, ...opts.metricsPorts };
  const listeners = SERVICES.flatMap((s) => [
    { label: s.name, table: ports, name: s.name, variable: s.portVariable, given: opts.ports?.[s.name], mustKeep: s.name === 'gateway' },
    ...(s.metricsPort === undefined
      ? []
      : [{ label: `${s.name} metrics`, table: metricsPorts, name: s.name, variable: s.metricsPortVariable, given: opts.metricsPorts?.[s.name], mustKeep: false }]),
  ]);
  const clash = listeners.filter((l) => listeners.some((o) => o !== l && o.table[o.name] === l.table[l.name]));
  if (clash.length) throw new Error(`one port for two listeners: ${clash.map((l) => `${l.label} ${l.table[l.name]} (${l.variable})`).join(', ')}`);
  const held = [];
  try {
    for (const l of listeners) {
      if (l.given !== undefined) continue;
      const server = await holdPort(l.table[l.name]);
      if (server) {
        held.push(server);
        continue;
      }
      if (l.mustKeep || portFromEnv(env, l.variable) !== undefined) {
        throw new Error(`port ${l.table[l.name]} (${l.label}, ${l.variable}) is in use by another process: set ${l.variable} to a free port`);
      }
      const free = await holdPort(0);
      held.push(free);
      l.table[l.name] = free.address().port;
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  return { ports, metricsPorts };
}

/** One line per listener, for the block `npm start` prints once everything is up. */
function describeListeners(running, env = process.env) {
  const host = (name) => env.HOST ?? (name === 'gateway' ? '0.0.0.0' : '127.0.0.1');
  const lines = [];
  for (const svc of running) {
    const spec = SERVICES.find((s) => s.name === svc.name);
    lines.push(`  ${svc.name.padEnd(16)} http://${host(svc.name)}:${svc.port}  (${spec.portVariable})`);
    if (svc.metricsPort !== undefined) {
      lines.push(`  ${`${svc.name} metrics`.padEnd(16)} http://${env.METRICS_HOST ?? host(svc.name)}:${svc.metricsPort}/metrics  (${spec.metricsPortVariable})`);
    }
  }
  return lines;
}

module.exports = { SERVICES, ROOT, startService, stopService, startAll, choosePorts, describeListeners };
