import { createServer, type Server } from 'node:http';
import { Controller, Get, HttpCode, HttpException, Inject, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createRedis } from '@mdm/messaging';
import type IORedis from 'ioredis';

export const HEALTH_REDIS_URL = Symbol('HealthRedisUrl');

/** Liveness says the process answers; readiness says it can do its work (Postgres and Redis reachable). */
export async function checkReady(dataSource: DataSource, redis: IORedis): Promise<Record<string, string>> {
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
class HealthController {
  private readonly redis: IORedis;
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

/** What /metrics answers: Prometheus text exposition, rendered at scrape time. */
export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

/**
 * A worker's only HTTP surface: /health and /ready on their own port (and /metrics when given a
 * source), closed with the app.
 */
export async function serveHealth(
  app: INestApplicationContext,
  opts: { port: number; host: string; redisUrl: string; metrics?: MetricsSource },
): Promise<Server> {
  const dataSource = app.get(DataSource);
  const redis = createRedis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/health') return send(200, livenessAnswer());
    if (req.url === '/ready') {
      void checkReady(dataSource, redis).then((checks) =>
        Object.values(checks).every((v) => v === 'ok') ? send(200, { status: 'ok', checks }) : send(503, { status: 'unavailable', checks }),
      );
      return;
    }
    const metrics = opts.metrics;
    if (req.url === '/metrics' && metrics) {
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
    redis.disconnect();
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  return server;
}
