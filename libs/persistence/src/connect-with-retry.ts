import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** Reconnect delays double from 250 ms up to this while Postgres does not answer. */
export const POSTGRES_RETRY_MAX_MS = 5_000;

/** Socket errors, and Postgres refusing for now: starting up (57P03), out of connection slots (53300). */
const WAIT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03', '53300']);

/** Whether Postgres could not be reached (worth waiting for), as opposed to refusing us (wrong password, no database). */
export function isPostgresUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as Error & { code?: unknown }).code;
  return (typeof code === 'string' && WAIT_CODES.has(code)) || /timeout exceeded when trying to connect|Connection terminated/i.test(err.message);
}

/** host:port/database of a postgres:// URL, without the credentials. */
export function postgresEndpoint(url: string | undefined): string {
  try {
    const u = new URL(url ?? '');
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * Connects, waiting with backoff for as long as Postgres cannot be reached: one line says it is unreachable
 * and retried, one that it answered. Anything else (authentication, a missing database) fails at once.
 */
export async function initializeWithRetry(
  options: DataSourceOptions,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  logger: Pick<Logger, 'warn' | 'log'> = new Logger('Postgres'),
): Promise<DataSource> {
  const endpoint = postgresEndpoint('url' in options ? options.url : undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      const dataSource = await new DataSource(options).initialize();
      if (attempt > 1) logger.log(`Postgres at ${endpoint} is reachable again`);
      return dataSource;
    } catch (err) {
      if (!isPostgresUnreachable(err)) throw err;
      if (attempt === 1) {
        const reason = (err as Error & { code?: string }).code ?? (err as Error).message;
        logger.warn(`Postgres at ${endpoint} is unreachable (${reason}); retrying with backoff (up to ${POSTGRES_RETRY_MAX_MS / 1000} s apart) until it answers`);
      }
      await sleep(Math.min(POSTGRES_RETRY_MAX_MS, 250 * 2 ** (attempt - 1)));
    }
  }
}
