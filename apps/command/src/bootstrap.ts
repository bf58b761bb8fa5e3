import type { INestApplication } from '@nestjs/common';
import { type Application, json, raw } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadCommandConfig } from './command.config';
import { CommandModule } from './command.module';
import { CONNECT_ROUTE, connectRoute } from './connect/connect-route';
import { ConnectService } from './connect/connect.service';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadCommandConfig(env);
  return startHttpService(CommandModule.forRoot(config), {
    name: 'command',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    configure: (app) => {
      app.use(CONNECT_ROUTE, raw({ type: () => true, limit: '10mb' }));
      // Every device connect comes here: ahead of Nest's router, as a plain handler.
      (app.getHttpAdapter().getInstance() as Application).put(CONNECT_ROUTE, connectRoute(app.get(ConnectService)));
      app.use(json({ limit: '10mb' }));
    },
  });
}
