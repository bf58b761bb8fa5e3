import type { INestApplicationContext } from '@nestjs/common';
import { serveHealth, startWorkerContext } from '@mdm/service-kit';
import { loadPushConfig } from './push.config';
import { PushMetrics } from './metrics/push-metrics.service';
import { PushModule } from './push.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplicationContext> {
  const config = loadPushConfig(env);
  const app = await startWorkerContext(PushModule.forRoot(config), { name: 'push', logLevel: config.LOG_LEVEL });
  await serveHealth(app, { port: config.PORT, host: config.HOST, redisUrl: config.REDIS_URL, metrics: app.get(PushMetrics).source });
  return app;
}
