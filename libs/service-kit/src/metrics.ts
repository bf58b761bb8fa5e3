import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { feedLag } from '@mdm/persistence';

/** What /metrics answers: Prometheus text exposition, rendered at scrape time. */
export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

/** Route label of requests no route matched (404s, scanners): one series, however many paths are tried. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The metrics of one service process: one prom-client registry, the default process metrics
 * (`mdm_<service>_process_*`, `mdm_<service>_nodejs_*`), and the HTTP metrics every service records the
 * same way. Domain metrics (push outcomes, webhook deliveries, queue depth) register on `registry`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(readonly service: string) {
    collectDefaultMetrics({ register: this.registry, prefix: `mdm_${service.replace(/[^a-zA-Z0-9_]/g, '_')}_` });
    this.requests = new Counter({
      name: 'mdm_http_requests_total',
      help: 'HTTP requests answered, by method, route template (not the raw path) and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'mdm_http_request_duration_seconds',
      help: 'From receiving an HTTP request to the end of its answer, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  readonly source: MetricsSource = async () => ({ contentType: this.registry.contentType, body: await this.registry.metrics() });
}

/**
 * For a handler that serves many paths through one catch-all route (the gateway's admin proxy): the
 * template the request matched, used as its `route` label instead of the catch-all's.
 */
export function setRouteLabel(res: Response, template: string): void {
  (res.locals as { metricsRoute?: string }).metricsRoute = template;
}

/** The route template a request matched (`/v1/commands/:uuid`), never its raw path, so labels stay bounded. */
export function routeLabel(req: Request, res: Response): string {
  const explicit = (res.locals as { metricsRoute?: string }).metricsRoute;
  if (explicit !== undefined) return explicit;
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || route.path === undefined) return UNMATCHED_ROUTE;
  return `${req.baseUrl}${String(route.path)}` || '/';
}

/**
 * Express middleware recording `mdm_http_requests_total` and `mdm_http_request_duration_seconds` for
 * every request, including the ones refused before a handler runs (rate limits, bad bodies, 404s). A
 * request the client abandoned is recorded with the status set so far.
 */
export function httpMetricsMiddleware(metrics: ServiceMetrics): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const record = (): void => {
      if (done) return;
      done = true;
      metrics.observeRequest(req.method, routeLabel(req, res), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

/**
 * A value read at scrape time and kept for `ttlMs`: a gauge over Postgres or Redis costs one query per
 * interval however often it is scraped. A failed read is not kept.
 */
export function cachedReading<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let cache: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (cache && now - cache.at < ttlMs) return cache.value;
    const value = read();
    const entry = { at: now, value };
    cache = entry;
    value.catch(() => {
      if (cache === entry) cache = undefined;
    });
    return value;
  };
}

/** How long scrape-time readings of Postgres (queue tables, feed lag) are reused. */
export const SCRAPE_CACHE_MS = 5_000;

/**
 * Event-feed consumer lag (see `consumeEvents` in `@mdm/persistence`): events past the consumer's cursor in
 * feed order, and the age of the oldest of them. Exposed by the service that owns the consumer. The count
 * stops at 1,000,000 so a far-behind consumer costs a bounded index scan.
 */
export function registerEventFeedLag(registry: Registry, dataSource: DataSource, consumers: readonly string[]): void {
  const read = cachedReading(SCRAPE_CACHE_MS, () => feedLag(dataSource, consumers));
  new Gauge({
    name: 'mdm_event_feed_lag_events',
    help: 'Events in the feed past a consumer\'s cursor (not yet consumed), by consumer',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      for (const r of await read()) this.set({ consumer: r.consumer }, Number(r.lag));
    },
  });
  new Gauge({
    name: 'mdm_event_feed_lag_seconds',
    help: 'Age of the oldest event a consumer has not consumed yet (0 when it is caught up), by consumer',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      for (const r of await read()) this.set({ consumer: r.consumer }, Math.max(0, r.age ?? 0));
    },
  });
}
