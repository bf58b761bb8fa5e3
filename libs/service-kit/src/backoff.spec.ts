import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles per attempt between half and the whole step, up to the cap', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(20, 1000, 60_000, () => 0)).toBe(30_000);
  });

  it('spreads delays with jitter', () => {
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, 1000, 60_000)));
    expect(seen.size).toBeGreaterThan(10);
    for (const d of seen) expect(d).toBeGreaterThanOrEqual(4000);
  });
});
