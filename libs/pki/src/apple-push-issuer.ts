import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { isSelfSigned } from './certificates';

/**
 * Apple's CAs that sign MDM push certificates from the Push Certificates Portal (identity.apple.com), both
 * under "Apple Root CA". `keyId` is the CA's subject key identifier as Apple-issued push certificates name
 * it in their authority key identifier (read from a public push certificate issued in 2026); the older CA's
 * is not known here, so only its name is compared.
 */
const APPLE_PUSH_CAS: ReadonlyArray<{ commonName: string; keyId?: string }> = [
  { commonName: 'Apple Application Integration 2 Certification Authority', keyId: 'f7be7c216091db3d1b7bd83a328169df9e6c7f9b' },
  { commonName: 'Apple Application Integration Certification Authority' },
];
const APPLE_CA_NAME = { organization: 'Apple Inc.', organizationalUnit: 'Apple Certification Authority', country: 'US' };

export interface PushCertificateIssuer {
  /** Issued by one of Apple's push CAs, judged by the issuer's name and key identifier (see `applePushIssuer`). */
  issuedByApple: boolean;
  /** Why APNs will refuse it, when it is not. */
  warning?: string;
}

/**
 * Whether a push certificate comes from Apple's push CA: not self-signed, the issuer named exactly as Apple's
 * CA, and its authority key identifier that CA's key. The CA certificates are not embedded, so the signature
 * itself is not verified: this tells a test or home-made certificate from Apple's, it does not stop a forgery
 * (APNs does that, by refusing the TLS connection).
 */
export function applePushIssuer(cert: X509Certificate, topic: string): PushCertificateIssuer {
  const parsed = new x509.X509Certificate(cert.raw);
  const field = (oid: string) => parsed.issuerName.getField(oid)[0];
  const issuerCn = field('2.5.4.3');
  const ca = APPLE_PUSH_CAS.find((c) => c.commonName === issuerCn);
  const appleNamed =
    ca !== undefined &&
    field('2.5.4.10') === APPLE_CA_NAME.organization &&
    field('2.5.4.11') === APPLE_CA_NAME.organizationalUnit &&
    field('2.5.4.6') === APPLE_CA_NAME.country;
  const keyId = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase();
  if (appleNamed && !isSelfSigned(cert) && (!ca.keyId || ca.keyId === keyId)) return { issuedByApple: true };

  const why = isSelfSigned(cert)
    ? 'it is self-signed'
    : appleNamed
      ? `its issuer is named "${issuerCn}" but its authority key identifier is not that CA's key`
      : `its issuer is "${parsed.issuer}"`;
  return {
    issuedByApple: false,
    warning:
      `push certificate for ${topic} was not issued by Apple's push CA (${APPLE_PUSH_CAS[0]!.commonName}): ${why}. ` +
      'APNs will refuse it, so no device can be woken; get the real one from identity.apple.com (CSR from POST /v1/apns/csr)',
  };
}
