import type { Server } from 'node:http';
import { type DynamicModule, type INestApplication, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { bodyErrors } from './body-errors';
import { DatabaseUnavailableFilter } from './database-unavailable.filter';
import { createLogger, type LogFormat, PinoNestLogger } from './logger';
import { httpMetricsMiddleware, routeLabel, ServiceMetrics } from './metrics';
import { type MetricsListenerOptions, MetricsModule, type MetricsModuleOptions } from './metrics.module';
import { requestIdMiddleware } from './request-context';

/** How long SIGTERM may take before the process gives up waiting and exits non-zero. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

export interface HttpServiceOptions {
  name: string;
  port: number;
  host: string;
  logLevel: string;
  /** LOG_FORMAT; unset: pretty on a terminal, JSON otherwise. */
  logFormat?: LogFormat;
  /** Runs before listen: body parsers, global pipes. */
  configure?: (app: NestExpressApplication) => void;
  /**
   * Serve /metrics (and /health) on this internal listener instead of the service's own port, which then
   * has no /metrics: for a service whose port is public. Closed with the app.
   */
  metricsListener?: MetricsListenerOptions;
  /** Bound on a graceful shutdown (default `DEFAULT_SHUTDOWN_TIMEOUT_MS`, under Kubernetes' 30 s grace period). */
  shutdownTimeoutMs?: number;
}

@Module({})
class ServiceRootModule {}

/** The app's module with the process-wide metrics module beside it. */
function withMetrics(module: unknown, name: string, options: MetricsModuleOptions): DynamicModule {
  return { module: ServiceRootModule, imports: [module as DynamicModule, MetricsModule.forRoot(name, options)] };
}

/** Paths probed every few seconds: logged at debug, so the info stream is the service's real traffic. */
const PROBES = new Set(['/health', '/ready', '/metrics']);

/** One JSON line per answered request, with its route template, status and duration (and request id). */
function accessLog(logger: Logger): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const fields = {
        method: req.method,
        route: routeLabel(req, res),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      };
      if (PROBES.has(req.path)) logger.debug(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}

/** Starts a Nest HTTP service with JSON logs, request ids, /metrics and graceful shutdown; tests call the same function. */
export async function startHttpService(module: unknown, opts: HttpServiceOptions): Promise<INestApplication> {
  const logger = createLogger(opts.name, opts.logLevel, opts.logFormat);
  const app = await NestFactory.create<NestExpressApplication>(withMetrics(module, opts.name, { serve: opts.metricsListener ?? 'app' }), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  app.disable('x-powered-by');
  // First, so even a request refused by a rate limit or a body parser has an id, a metric and a log line.
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(ServiceMetrics)));
  app.use(accessLog(logger));
  opts.configure?.(app);
  app.use(bodyErrors);
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  await app.listen(opts.port, opts.host);
  handleShutdownSignals(app, logger, opts.name, opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, app.getHttpServer() as Server);
  logger.info({ port: opts.port, host: opts.host, ...(opts.metricsListener ? { metricsPort: opts.metricsListener.port, metricsHost: opts.metricsListener.host } : {}) }, `${opts.name} listening`);
  return app;
}

/**
 * Starts a worker: no HTTP routes of its own (`serveHealth` gives it /health, /ready and /metrics), but
 * the same metrics registry and graceful shutdown, so jobs in hand finish.
 */
export async function startWorkerContext(
  module: unknown,
  opts: { name: string; logLevel: string; logFormat?: LogFormat; shutdownTimeoutMs?: number },
): Promise<INestApplicationContext> {
  const logger = createLogger(opts.name, opts.logLevel, opts.logFormat);
  const app = await NestFactory.createApplicationContext(withMetrics(module, opts.name, { serve: 'none' }), { logger: new PinoNestLogger(logger) });
  handleShutdownSignals(app, logger, opts.name, opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  return app;
}

/**
 * SIGTERM / SIGINT: stop accepting connections at once (requests in flight go on), then close the app,
 * which runs the shutdown hooks (queue workers, feed runners and delivery workers finish what they hold,
 * then pools and connections close), and exit 0. Instead of Nest's `enableShutdownHooks`, which re-raises
 * the signal (exit by signal, not 0) and closes the HTTP server only after every hook, and has no bound: a
 * shutdown that takes longer than `timeoutMs` is logged and ends with exit code 1.
 */
function handleShutdownSignals(app: INestApplicationContext, logger: Logger, name: string, timeoutMs: number, server?: Server): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    logger.info({ signal }, `${name} shutting down`);
    setTimeout(() => {
      logger.error({ timeoutMs }, `${name} did not shut down within ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    if (server) {
      server.close();
      // A keep-alive connection whose request finishes during the shutdown becomes idle: close it then,
      // rather than holding the exit for the keep-alive timeout.
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
    }
    app.close().then(
      () => {
        logger.info({ durationMs: Date.now() - started }, `${name} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, `${name} shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** For main.ts: a failed start prints one clear line and exits non-zero. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
