import type { INestApplication } from '@nestjs/common';
import { json } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadProfileConfig } from './profile.config';
import { ProfileModule } from './profile.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadProfileConfig(env);
  return startHttpService(ProfileModule.forRoot(config), {
    name: 'profile',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    configure: (app) => app.use(json({ limit: '5mb' })),
  });
}
