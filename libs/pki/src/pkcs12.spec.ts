import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { PkiError } from './errors';
import { parsePkcs12 } from './pkcs12';
import { parsePushCertificate } from './push-certificate';

const TOPIC = 'com.apple.mgmt.External.0b8f8f7e-3f0e-4a8e-9d8c-2b6f1d0c9a11';

/** Builds a .p12 the way Keychain Access exports one: 3DES-shrouded key, certificate(s), a MAC. */
function p12(opts: { certs: string[]; keyPem?: string; password: string; algorithm?: '3des' | 'aes256' }): Buffer {
  const key = opts.keyPem ? forge.pki.privateKeyFromPem(opts.keyPem) : null;
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    key,
    opts.certs.map((c) => forge.pki.certificateFromPem(c)),
    opts.password,
    { algorithm: opts.algorithm ?? '3des' },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function failure(fn: () => unknown): PkiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PkiError) return err;
    throw err;
  }
  throw new Error('expected a PkiError');
}

describe('parsePkcs12', () => {
  let apple: CertificateAndKey;
  let push: CertificateAndKey;

  beforeAll(async () => {
    apple = await createCertificateAuthority({ commonName: 'Apple Application Integration 2 Certification Authority' });
    push = await issueKeyAndCertificate({ issuer: apple, subject: `UID=${TOPIC}, CN=APSP:test, C=US`, extendedKeyUsage: ['clientAuth'] });
  });

  it('returns the leaf and its key with the right password, whatever the bag order', () => {
    const file = p12({ certs: [apple.certPem, push.certPem], keyPem: push.keyPem, password: 's3cret', algorithm: 'aes256' });
    const out = parsePkcs12(file, 's3cret');
    expect(new X509Certificate(out.certificatePem).fingerprint256).toBe(new X509Certificate(push.certPem).fingerprint256);
    expect(out.chainPem.map((c) => new X509Certificate(c).fingerprint256)).toEqual([new X509Certificate(apple.certPem).fingerprint256]);
    expect(out.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(createPrivateKey(out.privateKeyPem).export({ format: 'der', type: 'pkcs8' })).toEqual(
      createPrivateKey(push.keyPem).export({ format: 'der', type: 'pkcs8' }),
    );
    // What the upload path does next: the pair is a valid push certificate.
    expect(parsePushCertificate({ certificatePem: out.certificatePem, privateKeyPem: out.privateKeyPem }).topic).toBe(TOPIC);
  });

  it('reads a legacy 3DES file with an empty password', () => {
    const out = parsePkcs12(p12({ certs: [push.certPem], keyPem: push.keyPem, password: '' }));
    expect(parsePushCertificate({ certificatePem: out.certificatePem, privateKeyPem: out.privateKeyPem }).topic).toBe(TOPIC);
  });

  it('names a wrong password', () => {
    const file = p12({ certs: [push.certPem], keyPem: push.keyPem, password: 'right' });
    const err = failure(() => parsePkcs12(file, 'wrong'));
    expect(err.code).toBe('bad-password');
    expect(err.message).toMatch(/password/);
  });

  it('names a file without a private key', () => {
    const err = failure(() => parsePkcs12(p12({ certs: [push.certPem], password: 'pw' }), 'pw'));
    expect(err.code).toBe('no-key');
    expect(err.message).toMatch(/no private key/);
  });

  it('refuses a key whose certificate is not in the file', async () => {
    const other = await issueKeyAndCertificate({ issuer: apple, subject: `UID=${TOPIC}, CN=other, C=US` });
    const err = failure(() => parsePkcs12(p12({ certs: [push.certPem], keyPem: other.keyPem, password: 'pw' }), 'pw'));
    expect(err.code).toBe('key-mismatch');
  });

  it('refuses bytes that are not PKCS#12', () => {
    expect(failure(() => parsePkcs12(Buffer.from('not a p12'), 'pw')).code).toBe('malformed');
  });
});
