import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bodyErrors } from './body-errors';
import { createLogger, PinoNestLogger } from './logger';

export interface HttpServiceOptions {
  name: string;
  port: number;
  host: string;
  logLevel: string;
  /** Runs before listen: body parsers, global pipes. */
  configure?: (app: NestExpressApplication) => void;
}

/** Starts a Nest HTTP service with JSON logs and graceful shutdown; tests call the same function. */
export async function startHttpService(module: unknown, opts: HttpServiceOptions): Promise<INestApplication> {
  const logger = createLogger(opts.name, opts.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(module as never, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  opts.configure?.(app);
  app.use(bodyErrors);
  await app.listen(opts.port, opts.host);
  logger.info({ port: opts.port, host: opts.host }, `${opts.name} listening`);
  return app;
}

/** Starts a worker: no HTTP routes of its own, but shutdown hooks so jobs in hand finish. */
export async function startWorkerContext(module: unknown, opts: { name: string; logLevel: string }): Promise<INestApplicationContext> {
  const logger = createLogger(opts.name, opts.logLevel);
  const app = await NestFactory.createApplicationContext(module as never, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  return app;
}

/** For main.ts: a failed start prints one clear line and exits non-zero. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
