/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of many
 * devices spread out (no synchronized waves) while each still waits at least half its step.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
