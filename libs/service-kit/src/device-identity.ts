import { UnauthorizedException } from '@nestjs/common';
import { InternalHeader } from '@mdm/contracts';

/** The device certificate the gateway verified (signature and chain) before forwarding the request. */
export interface VerifiedDeviceCert {
  fingerprint: string;
  notAfter: Date | null;
}

export function verifiedDeviceCert(headers: Record<string, string | string[] | undefined>): VerifiedDeviceCert {
  const fingerprint = headers[InternalHeader.CertFingerprint];
  if (typeof fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(fingerprint)) {
    throw new UnauthorizedException('device request arrived without a verified certificate');
  }
  const notAfter = headers[InternalHeader.CertNotAfter];
  return { fingerprint, notAfter: typeof notAfter === 'string' ? new Date(notAfter) : null };
}
