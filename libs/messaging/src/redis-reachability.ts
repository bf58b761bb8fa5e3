import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-connection';

/** Reconnect delays: doubling from 100 ms up to this, so a long outage costs one attempt every few seconds. */
export const REDIS_RETRY_MAX_MS = 3_000;

/** ioredis' retryStrategy: the delay before reconnect attempt `times` (1, 2, ...). */
export function redisRetryDelayMs(times: number): number {
  return Math.min(REDIS_RETRY_MAX_MS, 100 * 2 ** Math.max(0, times - 1));
}

/** Where a URL points, without its credentials: what an operator needs to find the server. */
export function redisEndpoint(url: string): string {
  const afterScheme = url.replace(/^[a-z-]+:\/\//, '');
  return afterScheme.slice(afterScheme.lastIndexOf('@') + 1).split('/')[0] || url;
}

const logger = new Logger('Redis');
/** Endpoints this process currently cannot reach: every connection to one shares the verdict. */
const unreachable = new Set<string>();

/**
 * Every connection to a Redis that is down fails on each reconnect, and BullMQ repeats the failure on its
 * queues and workers: one line says the endpoint is unreachable and that the client keeps retrying, one
 * says when it answers again, however many connections there are.
 */
export function reportReachability(client: RedisClient, endpoint: string): void {
  client.on('error', (err: Error & { code?: string }) => {
    if (unreachable.has(endpoint)) return;
    unreachable.add(endpoint);
    logger.warn(`Redis at ${endpoint} is unreachable (${err.code ?? err.message}); retrying with backoff (up to ${REDIS_RETRY_MAX_MS / 1000} s apart) until it answers`);
  });
  client.on('ready', () => {
    if (unreachable.delete(endpoint)) logger.log(`Redis at ${endpoint} is reachable again`);
  });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** A failure to reach Redis (already reported once by `reportReachability`), rather than of the work itself. */
export function isRedisConnectionError(err: Error & { code?: string }): boolean {
  return (err.code !== undefined && CONNECTION_CODES.has(err.code)) || /^Connection is closed|^Stream isn't writeable|^Reached the max retries/.test(err.message);
}
