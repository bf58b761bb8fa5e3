import type { INestApplication } from '@nestjs/common';
import { json } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadIntegrationsConfig } from './integrations.config';
import { IntegrationsModule } from './integrations.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadIntegrationsConfig(env);
  return startHttpService(IntegrationsModule.forRoot(config), {
    name: 'integrations',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    configure: (app) => app.use(json({ limit: '256kb' })),
  });
}
