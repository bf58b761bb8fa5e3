import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentRequestId } from './request-context';

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set; otherwise a terminal gets pretty lines and anything else (a collector, a file) JSON. */
export function resolveLogFormat(format: LogFormat | undefined, isTty: boolean): LogFormat {
  return format ?? (isTty ? 'pretty' : 'json');
}

export function createLogger(service: string, level: string, format?: LogFormat): Logger {
  const tty = process.stdout.isTTY === true;
  // Synchronous, in this thread: a crash's last lines are never lost in a transport worker.
  const stream =
    resolveLogFormat(format, tty) === 'pretty'
      ? pretty({
          sync: true,
          colorize: tty,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          messageFormat: '{if context}[{context}] {end}{msg}',
          ignore: 'pid,hostname,service,context',
        })
      : undefined;
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    // Every line written while a request (or a job run for one) is in hand carries its id, whichever
    // logger wrote it: Nest's, a library's through Nest, or this one.
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
    // Secrets must never reach the logs, whatever a handler decides to log.
    redact: {
      paths: ['privateKey', '*.privateKey', 'keyPem', '*.keyPem', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  };
  return stream ? pino(options, stream) : pino(options);
}

/**
 * A structured line through Nest's `Logger`: `logger.log({ msg: 'pushed', correlationIds })` writes the
 * fields as JSON properties instead of `[object Object]`.
 */
export interface LogFields {
  msg: string;
  [field: string]: unknown;
}

function isLogFields(message: unknown): message is LogFields {
  return typeof message === 'object' && message !== null && typeof (message as { msg?: unknown }).msg === 'string';
}

/** Nest's start-up narration (every module initialised, every route mapped): wanted only when debugging. */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's logger interface on top of pino, so framework and app lines share one JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.write(context !== undefined && START_UP_CONTEXTS.has(context) ? 'debug' : 'info', message, { context });
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', message, { context, trace });
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, { context });
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, { context });
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, { context });
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, extra: Record<string, unknown>): void {
    if (isLogFields(message)) {
      const { msg, ...fields } = message;
      this.logger[level]({ ...extra, ...fields }, msg);
    } else {
      this.logger[level](extra, String(message));
    }
  }
}
