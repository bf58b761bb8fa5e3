export interface EventuallyOptions {
  /** Default 5000. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50. */
  intervalMs?: number;
  /** Prefixed to the last error when time runs out, so a failing test says what it was waiting for. */
  message?: string;
}

/**
 * Retries `fn` until it returns (or resolves) without throwing, and returns its value. Tests wait on a
 * condition with this instead of sleeping a fixed time. When `timeoutMs` runs out, throws the last error,
 * prefixed with `message`. An attempt that is still running when time runs out is allowed to finish.
 */
export async function eventually<T>(fn: () => Promise<T> | T, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const detail = lastError instanceof Error ? lastError.message : String(lastError);
      const prefix = opts.message ?? 'condition not met';
      const error = new Error(`${prefix} (after ${attempt} attempts in ${timeoutMs} ms): ${detail}`, { cause: lastError });
      throw error;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}
