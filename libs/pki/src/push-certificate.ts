import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { describe, fingerprintSha256, parseCertificatePem, subjectUid, validityOf } from './certificates';
import { PkiError } from './errors';

export interface PushCertificate {
  /** The APNs topic: the certificate's subject UID, `com.apple.mgmt.External.<uuid>`. */
  topic: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  fingerprint: string;
  certPem: string;
  /** The private key, re-encoded as unencrypted PKCS#8 PEM whatever form it came in. */
  keyPem: string;
}

const TOPIC_PREFIX = 'com.apple.mgmt.';

/**
 * Checks an uploaded MDM push certificate and its key before they replace the ones in use: a wrong or
 * expired upload would silently cut the server off from every device, so each problem gets its own message.
 */
export function parsePushCertificate(input: { certificatePem: string; privateKeyPem: string; now?: Date }): PushCertificate {
  let cert: X509Certificate;
  try {
    cert = parseCertificatePem(input.certificatePem);
  } catch (err) {
    throw new PkiError(`push certificate is not a PEM certificate: ${describe(err)}`, 'malformed');
  }
  const topic = subjectUid(cert);
  if (!topic || !topic.startsWith(TOPIC_PREFIX)) {
    throw new PkiError(
      `certificate subject has no UID starting with "${TOPIC_PREFIX}" (found ${topic ? `"${topic}"` : 'none'}); ` +
        'is this the MDM push certificate from identity.apple.com?',
      'no-topic',
    );
  }
  const { notBefore, notAfter } = validityOf(cert);
  const now = input.now ?? new Date();
  if (now.getTime() > notAfter.getTime()) {
    throw new PkiError(`push certificate expired on ${notAfter.toISOString()}; renew it with the same Apple ID`, 'expired');
  }

  if (/ENCRYPTED/.test(input.privateKeyPem)) {
    throw new PkiError('private key is encrypted; upload it unencrypted (openssl pkey -in key.pem -out plain.pem)', 'malformed');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(input.privateKeyPem);
  } catch (err) {
    throw new PkiError(`private key is not a readable PEM private key: ${describe(err)}`, 'malformed');
  }
  if (!cert.checkPrivateKey(key)) {
    throw new PkiError('private key does not belong to the push certificate', 'key-mismatch');
  }
  return {
    topic,
    notBefore,
    notAfter,
    subject: cert.subject.replace(/\n/g, ', '),
    fingerprint: fingerprintSha256(cert),
    certPem: cert.toString(),
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
