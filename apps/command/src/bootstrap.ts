import type { INestApplication } from '@nestjs/common';
import { json } from 'express';
import { serveFastRoutes, startHttpService } from '@mdm/service-kit';
import { loadCommandConfig } from './command.config';
import { CommandModule } from './command.module';
import { connectRoute } from './connect/connect-route';
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
      // Every device connect comes here: served ahead of Express and Nest.
      serveFastRoutes(app, [connectRoute(app.get(ConnectService))]);
      app.use(json({ limit: '10mb' }));
    },
  });
}
