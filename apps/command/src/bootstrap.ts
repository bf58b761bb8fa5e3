import type { INestApplication } from '@nestjs/common';
import { json, raw } from 'express';
import { startHttpService } from '@mdm/service-kit';
import { loadCommandConfig } from './command.config';
import { CommandModule } from './command.module';

export async function bootstrap(env?: NodeJS.ProcessEnv): Promise<INestApplication> {
  const config = loadCommandConfig(env);
  return startHttpService(CommandModule.forRoot(config), {
    name: 'command',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    configure: (app) => {
      app.use('/internal/connect', raw({ type: () => true, limit: '10mb' }));
      app.use(json({ limit: '10mb' }));
    },
  });
}
