import type { INestApplication } from '@nestjs/common';
import { raw } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadGatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadGatewayConfig(env);
  return startHttpService(GatewayModule.forRoot(config), {
    name: 'gateway',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    configure: (app) => {
      // Bodies stay raw: device signatures cover the exact bytes, and admin bodies are forwarded as sent.
      app.use(['/mdm', '/v1', '/scep'], raw({ type: () => true, limit: config.MDM_MAX_BODY_BYTES }));
    },
  });
}
