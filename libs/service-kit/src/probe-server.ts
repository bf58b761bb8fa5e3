import { createServer, type Server } from 'node:http';
import { type MetricsSource, type ServiceMetrics, UNMATCHED_ROUTE } from './metrics';

/**
 * Liveness. The pid lets a supervisor (or the test harness) tell this process from another one
 * that happens to answer on the same port.
 */
export function livenessAnswer(): { status: 'ok'; pid: number } {
  return { status: 'ok', pid: process.pid };
}

export interface ProbeServerOptions {
  port: number;
  host: string;
  /** The process's metrics: its requests are recorded there, and `/metrics` renders it unless `source` says otherwise. */
  metrics: ServiceMetrics;
  source?: MetricsSource;
  /** Readiness checks (name → 'ok' or why not): `/ready` is served only when given. */
  ready?: () => Promise<Record<string, string>>;
}

/**
 * A plain `node:http` listener for probes and scrapes, beside or instead of an app's own port: `/health`,
 * `/metrics`, and `/ready` when it has checks; anything else is 404. Its own requests are counted in the
 * HTTP metrics like any other. Resolves once it listens; a port in use rejects.
 */
export async function serveProbes(opts: ProbeServerOptions): Promise<Server> {
  const source = opts.source ?? opts.metrics.source;
  const routes = new Set(['/health', '/metrics', ...(opts.ready ? ['/ready'] : [])]);
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.has(path) ? path : UNMATCHED_ROUTE;
    res.once('finish', () => opts.metrics.observeRequest(req.method ?? 'GET', route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (route === '/health') return send(200, livenessAnswer());
    if (route === '/ready' && opts.ready) {
      opts.ready().then(
        (checks) => (Object.values(checks).every((v) => v === 'ok') ? send(200, { status: 'ok', checks }) : send(503, { status: 'unavailable', checks })),
        (err: Error) => send(503, { status: 'unavailable', checks: { ready: err.message } }),
      );
      return;
    }
    if (route === '/metrics') {
      source().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => send(500, { message: err.message }),
      );
      return;
    }
    send(404, { message: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Stops accepting and drops idle keep-alive connections (a scraper's), so the process is not held open. */
export function closeProbes(server: Server): void {
  server.close();
  server.closeIdleConnections();
}
