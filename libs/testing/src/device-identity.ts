import { randomUUID } from 'node:crypto';
import { generateRsaKeyPair, issueCertificate, type CertificateAndKey } from '@mdm/pki';

export interface DeviceIdentity {
  certPem: string;
  keyPem: string;
}

/** A device identity certificate as the server's SCEP CA would issue it (RSA 2048, clientAuth). */
export async function createDeviceIdentity(
  ca: DeviceIdentity,
  opts: { commonName?: string; validityDays?: number; notBefore?: Date; notAfter?: Date } = {},
): Promise<CertificateAndKey> {
  const { publicKeyPem, keyPem } = await generateRsaKeyPair(2048);
  const { certPem } = await issueCertificate({
    issuer: ca,
    subject: `CN=${opts.commonName ?? `mdm-device-${randomUUID()}`}, O=mdm testing`,
    publicKeyPem,
    validityDays: opts.validityDays ?? 30,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    extendedKeyUsage: ['clientAuth'],
  });
  return { certPem, keyPem };
}
