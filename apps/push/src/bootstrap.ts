import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { serveHealth, startWorkerContext } from '@mdm/service-kit';
import { ApnsClientsService } from './apns/apns-clients.service';
import { apnsReadiness } from './health/apns-readiness';
import { loadPushConfig } from './push.config';
import { PushModule } from './push.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplicationContext> {
  const config = loadPushConfig(env);
  const app = await startWorkerContext(PushModule.forRoot(config), { name: 'push', logLevel: config.LOG_LEVEL, logFormat: config.LOG_FORMAT });
  await serveHealth(app, {
    port: config.PORT,
    host: config.HOST,
    redisUrl: config.REDIS_URL,
    ready: apnsReadiness(app.get(DataSource), app.get(ApnsClientsService)),
  });
  return app;
}
