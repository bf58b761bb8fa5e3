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

/**
 * The one binding rule for check-in and connect: a device request is served only under the certificate
 * bound to its UDID at Authenticate (or renewed through SCEP since). Returns the device for chaining.
 */
export function requireBoundCertificate<D extends { certFingerprint: string | null }>(
  device: D | undefined,
  udid: string,
  cert: VerifiedDeviceCert,
): D {
  if (!device) throw new UnauthorizedException(`device ${udid} has not authenticated`);
  if (device.certFingerprint !== cert.fingerprint) throw new UnauthorizedException(`certificate is not the one bound to device ${udid}`);
  return device;
}
