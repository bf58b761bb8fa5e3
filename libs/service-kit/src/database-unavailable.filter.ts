import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/** SQLSTATE classes and codes that mean "the database is not there right now", not "this request is wrong". */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /ECONNREFUSED/, /ECONNRESET/, /timeout exceeded when trying to connect/i, /the database system is (starting up|shutting down)/i];

/** Whether an error says Postgres is restarting or unreachable (the request may simply be retried). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const candidates: unknown[] = [err, (err as { driverError?: unknown }).driverError, (err as { cause?: unknown }).cause];
  return candidates.some((e) => {
    if (!(e instanceof Error)) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    return UNAVAILABLE_MESSAGES.some((m) => m.test(e.message));
  });
}

/**
 * A request that failed because Postgres restarted or could not be reached answers 503 with Retry-After,
 * not 500: nothing was applied (its transaction died with the connection) and the client, a device or an
 * operator's script, should simply try again. Everything else goes to Nest's own handling.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (!(exception instanceof HttpException) && host.getType() === 'http' && isDatabaseUnavailable(exception)) {
      const res = host.switchToHttp().getResponse<Response>();
      res.setHeader('retry-after', '5');
      res.status(503).json({ statusCode: 503, message: 'the database is unavailable (restarting or unreachable); nothing was changed, retry shortly' });
      return;
    }
    super.catch(exception, host);
  }
}
