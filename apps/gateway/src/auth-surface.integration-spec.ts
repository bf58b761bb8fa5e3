import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { freePort } from '@mdm/testing';
import { ADMIN_ROUTES } from './admin/admin-routes';
import { bootstrap } from './bootstrap';

/**
 * The paths the gateway serves without an API key, and why; every other route it registers must answer
 * 401. Adding one here is a decision: say why in apps/gateway/README.md too.
 */
const PUBLIC: Record<string, string> = {
  '/health': 'liveness probe',
  '/ready': 'readiness probe',
  '/mdm/checkin': 'device endpoint: Mdm-Signature or the client certificate',
  '/mdm/connect': 'device endpoint: Mdm-Signature or the client certificate',
  '/mdm/enroll': 'the enrollment profile, fetched before the device has an identity',
  '/scep': 'SCEP, before the device has an identity (the one-time challenge)',
  '/docs': 'a static page without data: it asks for the key',
  '/docs/assets/:file': 'the files of Swagger UI',
  '/console': 'the console, a static shell: every call it makes needs the key',
  '/console/{*path}': 'the console, a static shell: every call it makes needs the key',
};

const NO_KEY = 'missing Authorization: Bearer <API key>';

interface Answer {
  status: number;
  contentType: string;
  body: string;
  message?: unknown;
}

/** node:http rather than fetch: it sends any method Express routes (fetch refuses a few). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let message: unknown;
        try {
          message = (JSON.parse(body) as { message?: unknown }).message;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body, message });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface RegisteredRoute {
  path: string;
  methods: string[];
  matches: (path: string) => boolean;
}

/** Every route on the running app's Express router: what Nest really registered, not a list kept by hand. */
function registeredRoutes(app: INestApplication): RegisteredRoute[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; match(path: string): unknown };
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  return express.router.stack.flatMap((layer) =>
    layer.route ? [{ path: layer.route.path, methods: methodsOf(layer.route.methods), matches: (p: string) => Boolean(layer.match(p)) }] : [],
  );
}

/** The methods a route answers: Express answers HEAD with the GET handler without listing it. */
function methodsOf(declared: Record<string, boolean>): string[] {
  const methods = Object.keys(declared).map((m) => m.toUpperCase());
  return methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
}

/** A concrete path a route template matches: `:id` and `*rest` filled in, optional `{...}` parts kept. */
function samplePath(template: string): string {
  return template
    .replace(/[{}]/g, '')
    .replace(/:(\w+)/g, 'sample-$1')
    .replace(/\*(\w+)/g, 'sample/$1');
}

/** Node's server hands CONNECT to its 'connect' event, never to Express, so it reaches no route. */
const UNROUTABLE = new Set(['CONNECT']);

describe('gateway: no route without an API key but the public ones', () => {
  let app: INestApplication;
  let port: number;
  let metricsPort: number;
  let routes: RegisteredRoute[];
  const apiKey = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    port = await freePort();
    metricsPort = await freePort();
    // Nothing listens behind it: every route must be decided at the edge.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    app = await bootstrap({
      MDM_API_KEY: apiKey,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      ENROLLMENT_SERVICE_URL: nowhere,
      COMMAND_SERVICE_URL: nowhere,
      PROFILE_SERVICE_URL: nowhere,
      INTEGRATIONS_SERVICE_URL: nowhere,
      UPSTREAM_TIMEOUT_MS: '1000',
      MDM_RATE_LIMIT_IP_PER_SECOND: '0',
      LOG_LEVEL: 'silent',
    });
    routes = registeredRoutes(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('reads the routes from the router, and every public path is one of them', () => {
    const paths = routes.map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['/v1/*path', '/v1/events/stream', '/openapi.json']));
    expect(Object.keys(PUBLIC).filter((p) => !paths.includes(p))).toEqual([]);
  });

  it('answers 401 on every other route, for every method it serves, without a key or with a wrong one', async () => {
    // No key; a token that is no key; the right secret, but not as a bearer token.
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-a-key' }, { authorization: `Basic ${Buffer.from(`admin:${apiKey}`).toString('base64')}` }];
    const refused: string[] = [];
    let checked = 0;
    for (const route of routes.filter((r) => !(r.path in PUBLIC))) {
      const path = samplePath(route.path);
      expect(`${route.path} matches ${path}: ${route.matches(path)}`).toBe(`${route.path} matches ${path}: true`);
      for (const method of route.methods.filter((m) => !UNROUTABLE.has(m))) {
        for (const headers of attempts) {
          const res = await call(port, method, path, headers);
          checked++;
          const wanted = headers['authorization']?.startsWith('Bearer') ? 'unknown API key' : NO_KEY;
          // A HEAD answer has no body to read the message from.
          if (res.status !== 401 || (method !== 'HEAD' && res.message !== wanted)) refused.push(`${method} ${path} (${headers['authorization'] ?? 'no key'}): ${res.status} ${res.body.slice(0, 100)}`);
        }
      }
    }
    expect(refused).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('answers 401 on every route of the admin table and on unknown /v1 paths, revealing nothing', async () => {
    const targets = [...ADMIN_ROUTES.map((r) => [r.method, r.path.replace(/\{[^}]+\}/g, 'sample')] as const), ['GET', '/v1/no-such-thing'] as const];
    for (const [method, path] of targets) expect(`${method} ${path}: ${(await call(port, method, path)).status}`).toBe(`${method} ${path}: 401`);
  });

  it('serves the public routes without asking for a key', async () => {
    for (const route of routes.filter((r) => r.path in PUBLIC)) {
      const path = samplePath(route.path);
      expect(route.matches(path)).toBe(true);
      for (const method of route.methods.filter((m) => !UNROUTABLE.has(m) && m !== 'HEAD')) {
        const res = await call(port, method, path);
        expect(`${method} ${path}: ${String(res.message)}`).not.toBe(`${method} ${path}: ${NO_KEY}`);
        expect(res.status).not.toBe(403);
      }
    }
    // The docs page is a shell: it fetches the description with the key the operator types in.
    const page = await call(port, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain("Authorization: 'Bearer ' + key");
    expect(page.body).not.toContain('/v1/commands');
  });

  it('serves /openapi.json to a key only', async () => {
    expect(await call(port, 'GET', '/openapi.json')).toMatchObject({ status: 401, message: NO_KEY });
    const doc = await call(port, 'GET', '/openapi.json', { authorization: `Bearer ${apiKey}` });
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ openapi: '3.1.0' });
  });

  it('keeps /metrics off the public port and serves it on the internal one', async () => {
    expect(routes.map((r) => r.path)).not.toContain('/metrics');
    expect((await call(port, 'GET', '/metrics')).status).toBe(404);
    expect((await call(port, 'GET', '/metrics', { authorization: `Bearer ${apiKey}` })).status).toBe(404);
    const scrape = await call(metricsPort, 'GET', '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(scrape.body).toContain('mdm_gateway_process_resident_memory_bytes');
    // The same registry as the app's: it counted the refusals above.
    expect(scrape.body).toMatch(/mdm_http_requests_total\{method="GET",route="\/openapi\.json",status="401"\} [1-9]/);
    expect(JSON.parse((await call(metricsPort, 'GET', '/health')).body)).toEqual({ status: 'ok', pid: process.pid });
    expect((await call(metricsPort, 'GET', '/v1/devices')).status).toBe(404);
  });
});
