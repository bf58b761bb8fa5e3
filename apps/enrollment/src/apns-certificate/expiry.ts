import type { CertificateStatusView } from '@mdm/contracts';

/** Days before expiry at which operators are warned, widest first. */
export const EXPIRY_THRESHOLDS_DAYS = [30, 14, 7, 1] as const;

const DAY_MS = 86_400_000;

export function daysLeft(notAfter: Date, now: Date): number {
  return Math.max(0, Math.ceil((notAfter.getTime() - now.getTime()) / DAY_MS));
}

/** The tightest warning threshold reached, or undefined while more than 30 days are left. */
export function thresholdReached(notAfter: Date, now: Date): number | undefined {
  const left = daysLeft(notAfter, now);
  return [...EXPIRY_THRESHOLDS_DAYS].reverse().find((t) => left <= t);
}

export function certificateStatus(c: { topic: string; notAfter: Date }, now: Date): CertificateStatusView {
  const left = daysLeft(c.notAfter, now);
  if (c.notAfter.getTime() <= now.getTime()) {
    return {
      status: 'expired',
      daysLeft: 0,
      warnings: [
        `push certificate for ${c.topic} expired on ${c.notAfter.toISOString()}: no pushes are sent to its devices until a ` +
          'renewed certificate (same Apple ID, same topic) is uploaded with PUT /v1/apns/certificate',
      ],
    };
  }
  if (thresholdReached(c.notAfter, now) !== undefined) {
    return {
      status: 'expiring',
      daysLeft: left,
      warnings: [
        `push certificate for ${c.topic} expires in ${left} day${left === 1 ? '' : 's'} (${c.notAfter.toISOString()}): renew it ` +
          'at identity.apple.com with the same Apple ID, then upload it with PUT /v1/apns/certificate',
      ],
    };
  }
  return { status: 'ok', daysLeft: left, warnings: [] };
}
