import type { Server } from 'node:http';
import { Controller, Get, HttpCode, HttpException, Inject, Module, type DynamicModule, type INestApplicationContext, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createRedis, type RedisClient } from '@mdm/messaging';
import { pingDatabase } from '@mdm/persistence';
import { type MetricsSource, ServiceMetrics } from './metrics';
import { closeProbes, livenessAnswer, serveProbes } from './probe-server';

export const HEALTH_REDIS_URL = Symbol('HealthRedisUrl');

/** Liveness says the process answers; readiness says it can do its work (Postgres and Redis reachable). */
export async function checkReady(dataSource: DataSource, redis: RedisClient): Promise<Record<string, string>> {
  const checks: Record<string, string> = {};
  await Promise.all([
    pingDatabase(dataSource)
      .then(() => (checks['postgres'] = 'ok'))
      .catch((e: Error) => (checks['postgres'] = e.message)),
    redis
      .ping()
      .then(() => (checks['redis'] = 'ok'))
      .catch((e: Error) => (checks['redis'] = e.message)),
  ]);
  return checks;
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
  const redis = createRedis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const extra = opts.ready ?? (() => Promise.resolve({}));
  const server = await serveProbes({
    port: opts.port,
    host: opts.host,
    metrics: app.get(ServiceMetrics),
    source: opts.metrics,
    ready: async () => {
      const [base, more] = await Promise.all([checkReady(dataSource, redis), extra().catch((e: Error) => ({ ready: e.message }))]);
      return { ...base, ...more };
    },
  });
  const close = (): void => {
    closeProbes(server);
    redis.disconnect();
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  return server;
}
