import { retryDelayMs } from '@mdm/service-kit';

/** What one HTTP attempt came to, before any policy is applied. */
export type AttemptResult =
  | { kind: 'http'; status: number; retryAfterMs?: number; body?: string }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export type AttemptDecision = { outcome: 'delivered' } | { outcome: 'retry'; nextAttemptAt: Date } | { outcome: 'dead' };

/**
 * 2xx is delivered. Everything else is retried (5xx, 429, timeouts, network errors, and also 3xx and the
 * other 4xx: a receiver answering 401 after a secret rotation or 404 during a deploy is the common case, and
 * giving up on it would lose events the receiver wants), with exponential backoff and equal jitter
 * (`base · 2^(n-1)` capped at `max`; never sooner than a Retry-After), until the delivery's retry window
 * ends: the last attempt is made at `retryUntil`, and a failure at or after it is dead.
 */
export function decideAttempt(
  result: AttemptResult,
  attempt: number,
  now: Date,
  retryUntil: Date,
  policy: RetryPolicy,
  random: () => number = Math.random,
): AttemptDecision {
  if (result.kind === 'http' && result.status >= 200 && result.status < 300) return { outcome: 'delivered' };
  if (now.getTime() >= retryUntil.getTime()) return { outcome: 'dead' };
  let delay = retryDelayMs(attempt, policy.baseMs, policy.maxMs, random);
  if (result.kind === 'http' && result.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(result.retryAfterMs, policy.maxMs));
  return { outcome: 'retry', nextAttemptAt: new Date(Math.min(now.getTime() + delay, retryUntil.getTime())) };
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short label of a result for metrics and the attempt log: `2xx`, `4xx`, `429`, `5xx`, `timeout`, ... */
export function resultClass(result: AttemptResult): string {
  switch (result.kind) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network';
    case 'http':
      return result.status === 429 ? '429' : `${Math.floor(result.status / 100)}xx`;
  }
}

/** What the attempt log keeps as the error of a failed attempt. */
export function describeFailure(result: AttemptResult, timeoutMs: number): string | null {
  switch (result.kind) {
    case 'timeout':
      return `no answer within ${timeoutMs} ms`;
    case 'network':
      return result.message;
    case 'http':
      if (result.status >= 200 && result.status < 300) return null;
      return `HTTP ${result.status}${result.body ? `: ${result.body.slice(0, 200)}` : ''}`;
  }
}
