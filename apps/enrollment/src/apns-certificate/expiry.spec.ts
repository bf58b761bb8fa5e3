import { certificateStatus, daysLeft, thresholdReached } from './expiry';

const now = new Date('2026-01-01T00:00:00Z');
const inDays = (d: number): Date => new Date(now.getTime() + d * 86_400_000);

describe('push certificate expiry', () => {
  it('rounds days left up, so the last day still counts as one', () => {
    expect(daysLeft(inDays(0.5), now)).toBe(1);
    expect(daysLeft(inDays(5), now)).toBe(5);
    expect(daysLeft(inDays(-1), now)).toBe(0);
  });

  it.each([
    [45, undefined],
    [30.5, undefined],
    [30, 30],
    [20, 30],
    [14, 14],
    [5, 7],
    [1.5, 7],
    [1, 1],
    [0.01, 1],
  ])('with %d days left the tightest threshold reached is %s', (days, threshold) => {
    expect(thresholdReached(inDays(days), now)).toBe(threshold);
  });

  it('reports ok, expiring with a warning, and expired', () => {
    expect(certificateStatus({ topic: 't', notAfter: inDays(60) }, now)).toEqual({ status: 'ok', daysLeft: 60, warnings: [] });
    const expiring = certificateStatus({ topic: 't', notAfter: inDays(5) }, now);
    expect(expiring).toMatchObject({ status: 'expiring', daysLeft: 5 });
    expect(expiring.warnings[0]).toMatch(/expires in 5 days/);
    const expired = certificateStatus({ topic: 't', notAfter: inDays(-0.1) }, now);
    expect(expired).toMatchObject({ status: 'expired', daysLeft: 0 });
    expect(expired.warnings[0]).toMatch(/expired on .* no pushes are sent/);
  });
});
