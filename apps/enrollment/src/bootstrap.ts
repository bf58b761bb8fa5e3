import type { INestApplication } from '@nestjs/common';
import { json, raw } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadEnrollmentConfig } from './enrollment.config';
import { EnrollmentModule } from './enrollment.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadEnrollmentConfig(env);
  return startHttpService(EnrollmentModule.forRoot(config), {
    name: 'enrollment',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    configure: (app) => {
      app.use(['/internal/checkin', '/internal/scep'], raw({ type: () => true, limit: '10mb' }));
      app.use(json({ limit: '1mb' }));
    },
  });
}
