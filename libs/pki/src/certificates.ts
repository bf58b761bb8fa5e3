import { createHash, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { PkiError } from './errors';

export const OID_UID = '0.9.2342.19200300.100.1.1';

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Parses the first certificate of a PEM text. */
export function parseCertificatePem(pem: string): X509Certificate {
  const [first] = parseCertificatesPem(pem);
  return first;
}

/** Parses every `CERTIFICATE` block of a PEM bundle (a chain, a CA bundle); other blocks are ignored. */
export function parseCertificatesPem(bundle: string): X509Certificate[] {
  const certs: X509Certificate[] = [];
  for (const match of bundle.matchAll(PEM_CERT)) {
    certs.push(certificateFromDer(Buffer.from(match[1].replace(/\s+/g, ''), 'base64')));
  }
  if (certs.length === 0) throw new PkiError('no PEM certificate found (expected -----BEGIN CERTIFICATE-----)', 'malformed');
  return certs;
}

export function certificateFromDer(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new PkiError(`certificate is not valid DER: ${describe(err)}`, 'malformed');
  }
}

/** Lowercase hex SHA-256 of the DER: the stable identity of a certificate (cache keys, pinning, logs). */
export function fingerprintSha256(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

export function certificateToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The subject UID (the APNs topic in an MDM push certificate). Read from the DER because the text form of
 * node's `subject` depends on OpenSSL's naming and escaping.
 */
export function subjectUid(cert: X509Certificate): string | undefined {
  const name = new x509.X509Certificate(cert.raw).subjectName;
  return name.getField(OID_UID)[0];
}

/** Issued by itself: its issuer is its subject and its own key verifies its signature. */
export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

export function validityOf(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
