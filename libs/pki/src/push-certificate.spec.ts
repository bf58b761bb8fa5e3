import { createPrivateKey } from 'node:crypto';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { PkiError } from './errors';
import { parsePushCertificate } from './push-certificate';

const TOPIC = 'com.apple.mgmt.External.5d5c1e0a-8b7e-4a43-9e44-6c1c6b2d8f11';
const SUBJECT = `UID=${TOPIC}, CN=APSP:5d5c1e0a-8b7e-4a43-9e44-6c1c6b2d8f11, C=US`;

function failure(fn: () => unknown): PkiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PkiError) return err;
    throw err;
  }
  throw new Error('expected a PkiError');
}

describe('parsePushCertificate', () => {
  let apple: CertificateAndKey;
  let push: CertificateAndKey;

  beforeAll(async () => {
    apple = await createCertificateAuthority({ commonName: 'Apple Application Integration 2 Certification Authority' });
    push = await issueKeyAndCertificate({ issuer: apple, subject: SUBJECT, extendedKeyUsage: ['clientAuth'] });
  });

  it('returns the topic, validity and a normalized PKCS#8 key', () => {
    // Upload as traditional PKCS#1 "RSA PRIVATE KEY", as many exports are.
    const pkcs1 = createPrivateKey(push.keyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
    const parsed = parsePushCertificate({ certificatePem: push.certPem, privateKeyPem: pkcs1 });
    expect(parsed.topic).toBe(TOPIC);
    expect(parsed.subject).toContain('CN=APSP:5d5c1e0a');
    expect(parsed.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(parsed.notBefore.getTime()).toBeLessThanOrEqual(Date.now());
    expect(parsed.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(parsed.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('rejects a certificate without a com.apple.mgmt UID', async () => {
    const noUid = await issueKeyAndCertificate({ issuer: apple, subject: 'CN=APSP:x, C=US' });
    const err = failure(() => parsePushCertificate({ certificatePem: noUid.certPem, privateKeyPem: noUid.keyPem }));
    expect(err.code).toBe('no-topic');
    const otherUid = await issueKeyAndCertificate({ issuer: apple, subject: 'UID=com.example.app, CN=x' });
    expect(failure(() => parsePushCertificate({ certificatePem: otherUid.certPem, privateKeyPem: otherUid.keyPem })).message).toContain('com.example.app');
  });

  it('rejects an expired certificate, naming the date', async () => {
    const notAfter = new Date('2020-06-01T00:00:00Z');
    const old = await issueKeyAndCertificate({ issuer: apple, subject: SUBJECT, notBefore: new Date('2019-06-01T00:00:00Z'), notAfter });
    const err = failure(() => parsePushCertificate({ certificatePem: old.certPem, privateKeyPem: old.keyPem }));
    expect(err.code).toBe('expired');
    expect(err.message).toContain('2020-06-01');
    // The `now` option is what decides.
    expect(parsePushCertificate({ certificatePem: old.certPem, privateKeyPem: old.keyPem, now: new Date('2020-01-01') }).topic).toBe(TOPIC);
  });

  it('rejects a key that belongs to another certificate', async () => {
    const other = await issueKeyAndCertificate({ issuer: apple, subject: SUBJECT });
    const err = failure(() => parsePushCertificate({ certificatePem: push.certPem, privateKeyPem: other.keyPem }));
    expect(err.code).toBe('key-mismatch');
  });

  it('rejects unreadable and encrypted keys and unreadable certificates', () => {
    const encrypted = createPrivateKey(push.keyPem)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    expect(failure(() => parsePushCertificate({ certificatePem: push.certPem, privateKeyPem: encrypted })).message).toMatch(/encrypted/);
    expect(failure(() => parsePushCertificate({ certificatePem: push.certPem, privateKeyPem: 'garbage' })).code).toBe('malformed');
    expect(failure(() => parsePushCertificate({ certificatePem: 'garbage', privateKeyPem: push.keyPem })).message).toMatch(/not a PEM certificate/);
  });
});
