import { createServer, type Server } from 'node:http';
import { Controller, Get, HttpCode, HttpException, Inject, Module, type DynamicModule, type INestApplicationContext, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createRedis, type RedisClient } from '@mdm/messaging';
import { type MetricsSource, ServiceMetrics, UNMATCHED_ROUTE } from './metrics';

export const HEALTH_REDIS_URL = Symbol('HealthRedisUrl');

/** Liveness says the process answers; readiness says it can do its work (Postgres and Redis reachable). */
export async function checkReady(dataSource: DataSource, redis: RedisClient): Promise<Record<string, string>> {
  const checks: Record<string, string> = {};
  await Promise.all([
    dataSource
      .query('SELECT 1')
      .then(() => (checks['postgres'] = 'ok'))
      .catch((e: Error) => (checks['postgres'] = e.message)),
    redis
      .ping()
      .then(() => (checks['redis'] = 'ok'))
      .catch((e: Error) => (checks['redis'] = e.message)),
  ]);
  return checks;
}

/**
 * Liveness. The pid lets a supervisor (or the test harness) tell this process from another one
 * that happens to answer on the same port.
 */
export function livenessAnswer(): { status: 'ok'; pid: number } {
  return { status: 'ok', pid: process.pid };
}

@Controller()
class HealthController implements OnApplicationShutdown {
  private readonly redis: RedisClient;
  constructor(
    private readonly dataSource: DataSource,
    @Inject(HEALTH_REDIS_URL) redisUrl: string,
  ) {
    this.redis = createRedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  @Get('health')
  health(): { status: 'ok'; pid: number } {
    return livenessAnswer();
  }

  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const checks = await checkReady(this.dataSource, this.redis);
    if (Object.values(checks).some((v) => v !== 'ok')) throw new HttpException({ status: 'unavailable', checks }, 503);
    return { status: 'ok', checks };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

@Module({})
export class HealthModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [{ provide: HEALTH_REDIS_URL, useValue: redisUrl }],
    };
  }
}

/** More readiness checks beyond Postgres and Redis (the push worker's APNs state): name → 'ok' or why not. */
export type ReadinessChecks = () => Promise<Record<string, string>>;

/**
 * A worker's only HTTP surface: /health, /ready and /metrics on their own port (the process's
 * `ServiceMetrics`, HTTP metrics of these routes included), closed on SIGTERM with the app.
 */
export async function serveHealth(
  app: INestApplicationContext,
  opts: { port: number; host: string; redisUrl: string; metrics?: MetricsSource; ready?: ReadinessChecks },
): Promise<Server> {
  const dataSource = app.get(DataSource);
  const serviceMetrics = app.get(ServiceMetrics);
  const metrics = opts.metrics ?? serviceMetrics.source;
  const redis = createRedis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = path === '/health' || path === '/ready' || path === '/metrics' ? path : UNMATCHED_ROUTE;
    res.once('finish', () => serviceMetrics.observeRequest(req.method ?? 'GET', route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (route === '/health') return send(200, livenessAnswer());
    if (route === '/ready') {
      void Promise.all([checkReady(dataSource, redis), (opts.ready?.() ?? Promise.resolve({})).catch((e: Error) => ({ ready: e.message }))]).then(([base, extra]) => {
        const checks = { ...base, ...extra };
        if (Object.values(checks).every((v) => v === 'ok')) send(200, { status: 'ok', checks });
        else send(503, { status: 'unavailable', checks });
      });
      return;
    }
    if (route === '/metrics') {
      metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => send(500, { message: err.message }),
      );
      return;
    }
    send(404, { message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const close = (): void => {
    server.close();
    server.closeIdleConnections();
    redis.disconnect();
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  return server;
}
