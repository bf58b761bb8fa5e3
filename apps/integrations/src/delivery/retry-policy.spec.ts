import { decideAttempt, describeFailure, parseRetryAfter, resultClass } from './retry-policy';

describe('retry policy', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date(now.getTime() + 24 * 3600_000);
  const at = (d: { outcome: string; nextAttemptAt?: Date }): number => (d.nextAttemptAt?.getTime() ?? NaN) - now.getTime();

  it('counts any 2xx as delivered', () => {
    expect(decideAttempt({ kind: 'http', status: 200 }, 1, now, later, policy)).toEqual({ outcome: 'delivered' });
    expect(decideAttempt({ kind: 'http', status: 204 }, 9, now, now, policy)).toEqual({ outcome: 'delivered' });
  });

  it('retries 5xx, 429, timeouts, network errors, redirects and other 4xx', () => {
    for (const result of [
      { kind: 'http', status: 500 },
      { kind: 'http', status: 503 },
      { kind: 'http', status: 429 },
      { kind: 'http', status: 404 },
      { kind: 'http', status: 401 },
      { kind: 'http', status: 302 },
      { kind: 'timeout' },
      { kind: 'network', message: 'ECONNREFUSED' },
    ] as const) {
      expect(decideAttempt(result, 1, now, later, policy).outcome).toBe('retry');
    }
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const low = () => 0;
    const high = () => 1;
    const fail = { kind: 'http', status: 500 } as const;
    expect(at(decideAttempt(fail, 1, now, later, policy, low))).toBe(500);
    expect(at(decideAttempt(fail, 1, now, later, policy, high))).toBe(1000);
    expect(at(decideAttempt(fail, 3, now, later, policy, low))).toBe(2000);
    expect(at(decideAttempt(fail, 3, now, later, policy, high))).toBe(4000);
    expect(at(decideAttempt(fail, 20, now, later, policy, high))).toBe(60_000);
    expect(at(decideAttempt(fail, 20, now, later, policy, low))).toBe(30_000);
  });

  it('waits at least a Retry-After (up to the cap)', () => {
    expect(at(decideAttempt({ kind: 'http', status: 429, retryAfterMs: 30_000 }, 1, now, later, policy, () => 0))).toBe(30_000);
    expect(at(decideAttempt({ kind: 'http', status: 503, retryAfterMs: 3_600_000 }, 1, now, later, policy, () => 0))).toBe(60_000);
  });

  it('makes the last attempt at the end of the window, and a failure at or after it is dead', () => {
    const soon = new Date(now.getTime() + 200);
    expect(at(decideAttempt({ kind: 'timeout' }, 1, now, soon, policy, () => 1))).toBe(200);
    expect(decideAttempt({ kind: 'timeout' }, 2, soon, soon, policy)).toEqual({ outcome: 'dead' });
    expect(decideAttempt({ kind: 'http', status: 500 }, 2, new Date(soon.getTime() + 1), soon, policy)).toEqual({ outcome: 'dead' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(now.getTime() + 5000).toUTCString(), now.getTime())).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('labels and describes results', () => {
    expect(resultClass({ kind: 'http', status: 503 })).toBe('5xx');
    expect(resultClass({ kind: 'http', status: 429 })).toBe('429');
    expect(resultClass({ kind: 'timeout' })).toBe('timeout');
    expect(describeFailure({ kind: 'http', status: 200 }, 10_000)).toBeNull();
    expect(describeFailure({ kind: 'http', status: 500, body: 'boom' }, 10_000)).toBe('HTTP 500: boom');
    expect(describeFailure({ kind: 'timeout' }, 10_000)).toBe('no answer within 10000 ms');
  });
});
