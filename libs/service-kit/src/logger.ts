import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentRequestId } from './request-context';

export function createLogger(service: string, level: string): Logger {
  return pino({
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
  });
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

/** Nest's logger interface on top of pino, so framework and app lines share one JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.write('info', message, { context });
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
