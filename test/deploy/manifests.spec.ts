/**
 * Deployment invariants: the Kustomize tree in deploy/kubernetes (base and every overlay, rendered by
 * ./kustomize.ts, and compared with `kubectl kustomize` where kubectl is installed) and the root
 * docker-compose.yml. Facts are read from the source where they live (service list and ports, the push
 * worker's heap flags, the shutdown timeout, metric and queue names), so renaming one there without
 * following here fails this test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { Queue } from '@mdm/contracts';
import { SERVICES } from '../../scripts/services';
import { isObject, type Json, type JsonObject, type Manifest, readYamlDocuments, renderKustomization, resourceKey } from './kustomize';

const ROOT = path.resolve(__dirname, '../..');
const K8S = path.join(ROOT, 'deploy/kubernetes');
const OVERLAYS = readdirSync(path.join(K8S, 'overlays')).filter((d) => existsSync(path.join(K8S, 'overlays', d, 'kustomization.yaml')));
const TREES = ['base', ...OVERLAYS.map((d) => `overlays/${d}`)];
const SECRET_NAME = 'mdm-secrets';
const SECRET_KEYS = ['MDM_SECRET_KEY', 'MDM_API_KEY', 'DATABASE_URL', 'REDIS_URL'];

const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(f))
    .map((f) => path.join(abs, f));
}

// ---- facts from the source -------------------------------------------------------------------

/** Apps that run as a server: a main.ts and a config declaring PORT (mdmctl, a CLI, has neither). */
function serviceApps(): string[] {
  return readdirSync(path.join(ROOT, 'apps')).filter((app) => {
    const src = path.join(ROOT, 'apps', app, 'src');
    if (!existsSync(path.join(src, 'main.ts'))) return false;
    return readdirSync(src).some((f) => f.endsWith('.config.ts') && /^\s*PORT:/m.test(readFileSync(path.join(src, f), 'utf8')));
  });
}

/** Variables a service's config declares (`NAME: z...` at the start of a line of its *.config.ts). */
function configDeclares(app: string, variable: string): boolean {
  const src = path.join(ROOT, 'apps', app, 'src');
  return readdirSync(src).some((f) => f.endsWith('.config.ts') && new RegExp(`^\\s*${variable}:`, 'm').test(readFileSync(path.join(src, f), 'utf8')));
}

const PUSH_NODE_OPTIONS = /const PUSH_NODE_OPTIONS = '([^']+)'/.exec(read('scripts/services.js'))?.[1];
/** The gateway's internal metrics port by default (its public port has no /metrics). */
const GATEWAY_METRICS_PORT = Number(/^\s*METRICS_PORT: z\.coerce\.number\(\)[^\n]*\.default\((\d+)\)/m.exec(read('apps/gateway/src/gateway.config.ts'))?.[1]);
const SHUTDOWN_TIMEOUT_MS = Number(/DEFAULT_SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(read('libs/service-kit/src/bootstrap.ts'))?.[1]?.replace(/_/g, ''));

/** Prometheus metric names registered (`name: 'mdm_...'`) by the push or command service or the queue metrics they share. */
const EXPORTED_METRICS = new Set(
  ['apps/push/src', 'apps/command/src', 'libs/messaging/src']
    .flatMap(sourceFiles)
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bname: '(mdm_[a-z0-9_]+)'/g)].map((m) => m[1]!)),
);

function heapFlagMi(options: string, flag: string): number {
  const m = new RegExp(`--${flag}=(\\d+)`).exec(options);
  if (!m) throw new Error(`no --${flag} in "${options}"`);
  return Number(m[1]);
}

/** Kubernetes / Compose quantity in bytes (memory) or cores (cpu). */
function quantity(q: Json | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|b)?$/i.exec(String(q ?? ''));
  if (!m) throw new Error(`not a quantity: ${String(q)}`);
  const units: Record<string, number> = { m: 1e-3, k: 1e3, ki: 1024, M: 1e6, mi: 1024 ** 2, G: 1e9, gi: 1024 ** 3, b: 1 };
  const unit = m[2] ?? '';
  const factor = unit === '' ? 1 : unit === 'm' || unit === 'M' || unit === 'G' || unit === 'k' ? units[unit]! : units[unit.toLowerCase()]!;
  return Number(m[1]) * factor;
}

/** A Compose duration (`30s`, `1m30s`) in seconds. */
function durationSeconds(d: Json): number {
  const parts = [...String(d).matchAll(/(\d+)(h|m|s)/g)];
  if (!parts.length) throw new Error(`not a duration: ${String(d)}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

// ---- helpers over rendered objects --------------------------------------------------------------

const obj = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const find = (objs: Manifest[], kind: string, name: string): Manifest | undefined => objs.find((o) => o.kind === kind && o.metadata.name === name);
const podTemplate = (d: Manifest): JsonObject => obj(obj(d.spec).template);
const podSpec = (d: Manifest): JsonObject => obj(podTemplate(d).spec);
const containers = (d: Manifest): JsonObject[] => list(podSpec(d).containers).map(obj);
const envValue = (c: JsonObject, name: string): JsonObject | undefined => list(c.env).map(obj).find((e) => e.name === name);

function selects(selector: JsonObject, labels: JsonObject): boolean {
  const match = obj(selector.matchLabels);
  return Object.keys(match).length > 0 && Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** A probe's or Service's port (number or container port name) as a number. */
function resolvePort(port: Json | undefined, c: JsonObject): number | undefined {
  if (typeof port === 'number') return port;
  const named = list(c.ports).map(obj).find((p) => p.name === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

function preStopSleepSeconds(c: JsonObject): number {
  const command = list(obj(obj(obj(c.lifecycle).preStop).exec).command);
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

/** The metric names (mdm_...) an autoscaler targeting push reads, following HPA external metrics to their adapter rule. */
function autoscalerMetrics(objs: Manifest[], tree: string): { kind: string; metrics: string[]; queries: string[] }[] {
  const adapterRules = new Map<string, string>();
  const adapterFile = path.join(K8S, tree, 'prometheus-adapter-values.yaml');
  if (existsSync(adapterFile)) {
    for (const rule of list(obj(obj(parse(readFileSync(adapterFile, 'utf8')) as Json).rules).external).map(obj)) {
      adapterRules.set(String(obj(rule.name).as), String(rule.metricsQuery));
    }
  }
  const names = (q: string): string[] => [...q.matchAll(/\bmdm_[a-z0-9_]+\b/g)].map((m) => m[0]);
  return objs
    .filter((o) => (o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler') && obj(obj(o.spec).scaleTargetRef).name === 'push')
    .map((o) => {
      const queries =
        o.kind === 'ScaledObject'
          ? list(obj(o.spec).triggers).map((t) => String(obj(obj(t).metadata).query ?? ''))
          : list(obj(o.spec).metrics).map((m) => {
              const name = String(obj(obj(obj(m).external).metric).name);
              const q = adapterRules.get(name);
              if (q === undefined) throw new Error(`${tree}: HPA metric ${name} has no prometheus-adapter rule`);
              return q;
            });
      return { kind: o.kind, metrics: queries.flatMap(names), queries };
    });
}

// ---- the checks -------------------------------------------------------------------------------

/** Every invariant of one rendered tree, as a list of violations (empty when all hold). */
function violations(objs: Manifest[], tree: string): string[] {
  const out: string[] = [];
  const fail = (msg: string): void => void out.push(`${tree}: ${msg}`);
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  const images = new Set(deployments.flatMap((d) => containers(d).map((c) => String(c.image))));
  if (images.size !== 1) fail(`every Deployment runs the same image, found ${[...images].join(', ')}`);
  const configMaps = objs.filter((o) => o.kind === 'ConfigMap');

  for (const { name, port, metricsPort } of SERVICES) {
    const d = find(objs, 'Deployment', name);
    if (!d) {
      fail(`no Deployment ${name}`);
      continue;
    }
    const labels = obj(obj(podTemplate(d).metadata).labels);
    if (!selects(obj(obj(d.spec).selector), labels)) fail(`Deployment ${name}: selector does not match its pod labels`);
    const c = containers(d).find((x) => x.name === name);
    if (!c) {
      fail(`Deployment ${name}: no container named ${name}`);
      continue;
    }
    if (envValue(c, 'APP')?.value !== name) fail(`${name}: env APP must be ${name} (the image runs dist/apps/$APP)`);
    if (envValue(c, 'PORT')?.value !== String(port)) fail(`${name}: env PORT must be ${port}`);

    for (const [probe, wanted] of [
      ['readinessProbe', '/ready'],
      ['livenessProbe', '/health'],
    ] as const) {
      const get = obj(obj(c[probe]).httpGet);
      if (get.path !== wanted) fail(`${name}: ${probe} must GET ${wanted}, has ${String(get.path)}`);
      if (resolvePort(get.port, c) !== port) fail(`${name}: ${probe} must probe port ${port}`);
    }

    const res = obj(c.resources);
    const requests = obj(res.requests);
    const limits = obj(res.limits);
    if (requests.cpu === undefined || requests.memory === undefined) fail(`${name}: needs cpu and memory requests`);
    if (limits.memory === undefined) fail(`${name}: needs a memory limit`);
    else if (requests.memory !== undefined && quantity(requests.memory) > quantity(limits.memory)) fail(`${name}: memory request above its limit`);

    const pod = podSpec(d);
    const podSec = obj(pod.securityContext);
    const sec = obj(c.securityContext);
    if (podSec.runAsNonRoot !== true && sec.runAsNonRoot !== true) fail(`${name}: must run as non-root`);
    if (sec.readOnlyRootFilesystem !== true) fail(`${name}: root filesystem must be read-only`);
    if (sec.allowPrivilegeEscalation !== false) fail(`${name}: must not allow privilege escalation`);
    const grace = Number(pod.terminationGracePeriodSeconds ?? 30);
    const drain = SHUTDOWN_TIMEOUT_MS / 1000 + preStopSleepSeconds(c);
    if (!(grace > drain)) fail(`${name}: terminationGracePeriodSeconds ${grace} must exceed preStop + shutdown timeout (${drain} s)`);

    // Configuration: the shared ConfigMap exists and makes the service listen beyond loopback.
    for (const ref of list(c.envFrom).map((e) => obj(obj(e).configMapRef).name).filter((n) => n !== undefined)) {
      const cm = configMaps.find((m) => m.metadata.name === ref);
      if (!cm) fail(`${name}: envFrom ConfigMap ${String(ref)} is not in the tree`);
      else if (obj(cm.data).HOST !== '0.0.0.0' && envValue(c, 'HOST')?.value !== '0.0.0.0') fail(`${name}: HOST must be 0.0.0.0 for probes and Services`);
    }
    // Secrets: referenced from the one Secret, never given as values; each service gets the ones it needs.
    const needs = [
      ...(configDeclares(name, 'MDM_SECRET_KEY') ? ['MDM_SECRET_KEY'] : []),
      ...(configDeclares(name, 'MDM_API_KEY') ? ['MDM_API_KEY'] : []),
      ...(name === 'gateway' ? [] : ['DATABASE_URL']),
      'REDIS_URL',
    ];
    for (const key of needs) {
      const ref = obj(obj(envValue(c, key)?.valueFrom).secretKeyRef);
      if (ref.name !== SECRET_NAME || ref.key !== key) fail(`${name}: ${key} must come from secretKeyRef ${SECRET_NAME}/${key}`);
    }
    for (const e of list(c.env).map(obj)) {
      if (SECRET_KEYS.includes(String(e.name)) && e.value !== undefined) fail(`${name}: ${String(e.name)} given as a value`);
    }

    // Prometheus scrapes the port that serves /metrics: the service's own, or its internal metrics port.
    const scrapePort = metricsPort ?? port;
    const annotations = obj(obj(podTemplate(d).metadata).annotations);
    if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/path'] !== '/metrics') fail(`${name}: pods must be annotated for scraping /metrics`);
    if (annotations['prometheus.io/port'] !== String(scrapePort)) fail(`${name}: prometheus.io/port must be ${scrapePort}, is ${String(annotations['prometheus.io/port'])}`);
    if (metricsPort !== undefined) {
      if (envValue(c, 'METRICS_PORT')?.value !== String(metricsPort)) fail(`${name}: env METRICS_PORT must be ${metricsPort}`);
      if (resolvePort('metrics', c) !== metricsPort) fail(`${name}: needs a container port named metrics on ${metricsPort}`);
      // Only Prometheus reaches the metrics port: no rule lets anyone else in on it, and none lets Prometheus in elsewhere.
      for (const policy of objs.filter((o) => o.kind === 'NetworkPolicy' && selects(obj(obj(o.spec).podSelector), labels))) {
        for (const rule of list(obj(policy.spec).ingress).map(obj)) {
          const ports = list(rule.ports).map((p) => resolvePort(obj(p).port, c));
          const fromMonitoring = list(rule.from).some((f) => obj(obj(obj(f).namespaceSelector).matchLabels)['kubernetes.io/metadata.name'] === 'monitoring');
          if (fromMonitoring !== (ports.length === 1 && ports[0] === metricsPort)) fail(`NetworkPolicy ${policy.metadata.name}: only Prometheus (namespace monitoring) may reach ${name}'s metrics port, and only that port`);
        }
      }
    }

    const svc = find(objs, 'Service', name);
    if (!svc) fail(`no Service ${name}`);
    else {
      if (!Object.entries(obj(obj(svc.spec).selector)).every(([k, v]) => labels[k] === v) || !Object.keys(obj(obj(svc.spec).selector)).length) {
        fail(`Service ${name}: selector does not match the pods`);
      }
      const svcPorts = list(obj(svc.spec).ports).map(obj);
      const p = svcPorts[0];
      if (p?.port !== port || resolvePort(p.targetPort ?? p.port, c) !== port) fail(`Service ${name}: must serve port ${port} to the container's ${port}`);
      if (metricsPort !== undefined && svcPorts.some((x) => resolvePort(x.targetPort ?? x.port, c) === metricsPort)) fail(`Service ${name}: must not route the metrics port ${metricsPort}`);
    }

    const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget' && selects(obj(obj(o.spec).selector), labels));
    if (pdbs.length !== 1) fail(`${name}: needs exactly one PodDisruptionBudget selecting its pods, found ${pdbs.length}`);
  }

  // Only the gateway is reachable from outside the cluster.
  for (const s of objs.filter((o) => o.kind === 'Service')) {
    const type = obj(s.spec).type ?? 'ClusterIP';
    if (type !== 'ClusterIP' && s.metadata.name !== 'gateway') fail(`Service ${s.metadata.name} is exposed (${String(type)})`);
  }
  for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
    for (const p of list(obj(ing.spec).rules).flatMap((r) => list(obj(obj(r).http).paths)).map(obj)) {
      const backend = obj(obj(p.backend).service).name;
      if (backend !== 'gateway') fail(`Ingress ${ing.metadata.name} routes to ${String(backend)}`);
      if (p.path === '/' || String(p.path).startsWith('/metrics') || String(p.path).startsWith('/health') || String(p.path).startsWith('/ready')) {
        fail(`Ingress ${ing.metadata.name} exposes ${String(p.path)}`);
      }
    }
  }

  // No Secret values anywhere in the output.
  for (const s of objs.filter((o) => o.kind === 'Secret')) fail(`Secret ${s.metadata.name} is in the manifests (create it at install time)`);

  // The push worker: heap flags as scripts/services.js sets them, a memory limit sized for that heap, and
  // replicas left to its autoscaler, which reads metrics the push or command service really exports.
  const push = find(objs, 'Deployment', 'push');
  const pushC = push && containers(push).find((x) => x.name === 'push');
  if (push && pushC) {
    const nodeOptions = String(envValue(pushC, 'NODE_OPTIONS')?.value ?? '');
    if (nodeOptions !== PUSH_NODE_OPTIONS) fail(`push: NODE_OPTIONS "${nodeOptions}" differs from PUSH_NODE_OPTIONS "${PUSH_NODE_OPTIONS}" in scripts/services.js`);
    else {
      const heapMi = heapFlagMi(nodeOptions, 'max-old-space-size') + 3 * heapFlagMi(nodeOptions, 'max-semi-space-size');
      const limitMi = quantity(obj(obj(pushC.resources).limits).memory) / 1024 ** 2;
      if (limitMi < heapMi * 1.5 || limitMi > heapMi * 3) fail(`push: memory limit ${limitMi}Mi must fit the ${heapMi} MB heap (1.5x to 3x)`);
    }
    if (obj(push.spec).replicas !== undefined) fail('push: spec.replicas must be left to the autoscaler');
  }
  const scalers = autoscalerMetrics(objs, tree);
  if (scalers.length !== 1) fail(`push needs exactly one autoscaler (ScaledObject or HPA), found ${scalers.length}`);
  for (const s of scalers) {
    if (!s.metrics.length) fail(`${s.kind} for push reads no mdm_ metric`);
    for (const m of s.metrics) if (!EXPORTED_METRICS.has(m)) fail(`${s.kind} for push reads ${m}, which neither push nor command exports`);
    for (const q of s.queries) {
      for (const [, queue] of q.matchAll(/queue="([^"]+)"/g)) if (queue !== Queue.Push) fail(`${s.kind} for push reads queue "${queue}", not ${Queue.Push}`);
    }
  }

  // Redis Cluster: BullMQ's keys of one queue must share a slot, so production's prefix is a hash tag.
  if (tree === 'overlays/production') {
    const prefix = configMaps.map((m) => obj(m.data).MDM_REDIS_PREFIX).find((v) => v !== undefined);
    if (!/^\{[^{}]+\}$/.test(String(prefix))) fail(`MDM_REDIS_PREFIX must be a Redis Cluster hash tag like {mdm}, is ${String(prefix)}`);
  }
  return out;
}

// ---- kubectl, when installed -------------------------------------------------------------------

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 }).status === 0;

function kubectlKustomize(dir: string): Manifest[] {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return text
    .split(/^---$/m)
    .map((doc) => parse(doc) as Json)
    .filter((d): d is Manifest => isObject(d));
}

const byKey = (objs: Manifest[]): Record<string, Manifest> => Object.fromEntries(objs.map((o) => [resourceKey(o), o]));

describe('deploy/kubernetes', () => {
  it('knows the facts it checks against', () => {
    expect(serviceApps().sort()).toEqual(SERVICES.map((s) => s.name).sort());
    expect(PUSH_NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(SHUTDOWN_TIMEOUT_MS).toBeGreaterThan(0);
    // The gateway's metrics port: the same in its config, in scripts/services.js (npm start, the tests) and below.
    expect(SERVICES.filter((s) => s.metricsPort !== undefined).map((s) => [s.name, s.metricsPort])).toEqual([['gateway', GATEWAY_METRICS_PORT]]);
    expect(SERVICES.map((s) => s.port)).not.toContain(GATEWAY_METRICS_PORT);
    expect(OVERLAYS).toContain('production');
  });

  describe.each(TREES)('%s', (tree) => {
    const objs = renderKustomization(path.join(K8S, tree));

    it('holds every invariant', () => {
      expect(violations(objs, tree)).toEqual([]);
    });

    (KUBECTL ? it : it.skip)('renders exactly as kubectl kustomize does', () => {
      expect(byKey(objs)).toEqual(byKey(kubectlKustomize(path.join(K8S, tree))));
    });
  });

  it('reports a broken invariant', () => {
    const objs = renderKustomization(path.join(K8S, 'overlays/production'));
    const push = find(objs, 'Deployment', 'push')!;
    const c = containers(push)[0]!;
    obj(c.readinessProbe).httpGet = { path: '/health', port: 'http' };
    obj(obj(c.resources).limits).memory = '2Gi';
    c.env = list(c.env).map((e) => (obj(e).name === 'DATABASE_URL' ? { name: 'DATABASE_URL', value: 'postgres://u:p@db/mdm' } : e));
    const so = find(objs, 'ScaledObject', 'push')!;
    obj(obj(list(obj(so.spec).triggers)[0]).metadata).query = 'max(mdm_push_jobs_waiting)';
    const gateway = find(objs, 'Deployment', 'gateway')!;
    obj(obj(podTemplate(gateway).metadata).annotations)['prometheus.io/port'] = '8080';
    const gatewayPolicy = find(objs, 'NetworkPolicy', 'gateway')!;
    obj(gatewayPolicy.spec).ingress = [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'http' }] }];
    const rest = objs.filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'gateway'));
    expect(violations(rest, 'overlays/production')).toEqual([
      'overlays/production: push: readinessProbe must GET /ready, has /health',
      'overlays/production: push: DATABASE_URL must come from secretKeyRef mdm-secrets/DATABASE_URL',
      'overlays/production: push: DATABASE_URL given as a value',
      'overlays/production: gateway: prometheus.io/port must be 9464, is 8080',
      "overlays/production: NetworkPolicy gateway: only Prometheus (namespace monitoring) may reach gateway's metrics port, and only that port",
      'overlays/production: gateway: needs exactly one PodDisruptionBudget selecting its pods, found 0',
      'overlays/production: push: memory limit 2048Mi must fit the 134 MB heap (1.5x to 3x)',
      'overlays/production: ScaledObject for push reads mdm_push_jobs_waiting, which neither push nor command exports',
    ]);
  });

  it('refuses kustomization features its renderer does not implement', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'kind: Kustomization\nresources: []\ncommonLabels: { a: b }\n');
      expect(() => renderKustomization(dir)).toThrow("field 'commonLabels' is not supported");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps Secret values out of the repository', () => {
    const files = readdirSync(K8S, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f) && statSync(path.join(K8S, f)).isFile());
    expect(files.length).toBeGreaterThan(5);
    const secrets = files.flatMap((f) =>
      readYamlDocuments(path.join(K8S, f))
        .filter((doc) => isObject(doc) && (doc.kind === 'Secret' || doc.secretGenerator !== undefined))
        .map(() => f),
    );
    expect(secrets).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as JsonObject;
  const services = obj(compose.services);

  it.each(SERVICES.map((s) => [s.name, s.port] as const))('runs %s with a health check on /ready and a restart policy', (name, port) => {
    const s = obj(services[name]);
    expect(obj(obj(s.build).args).APP).toBe(name);
    expect(String(obj(s.environment).PORT)).toBe(String(port));
    expect(list(obj(s.healthcheck).test).join(' ')).toContain(`:${port}/ready`);
    expect(['always', 'unless-stopped', 'on-failure']).toContain(s.restart);
    // SIGTERM drains for up to the shutdown timeout; Docker's default 10 s would SIGKILL mid-drain.
    expect(durationSeconds(s.stop_grace_period ?? '10s')).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS / 1000);
    expect(s.container_name).toBeUndefined();
  });

  it('publishes only the gateway, so push scales with --scale push=N', () => {
    const published = Object.entries(services).filter(([, s]) => obj(s).ports !== undefined).map(([n]) => n);
    expect(published).toEqual(['gateway']);
    // Its public port only: the metrics port stays on the Compose network.
    expect(list(obj(services.gateway).ports).map(String)).toEqual(['${GATEWAY_PORT:-8080}:8080']);
    const push = obj(services.push);
    expect(push.container_name).toBeUndefined();
    expect(push.ports).toBeUndefined();
    expect(obj(push.environment).NODE_OPTIONS).toBe(PUSH_NODE_OPTIONS);
  });
});
