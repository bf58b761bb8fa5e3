import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, issueCertificate, issueKeyAndCertificate, generateRsaKeyPair, type CertificateAndKey } from './authority';
import { parseCertificatePem } from './certificates';
import { PkiError } from './errors';
import { TrustStore } from './trust-store';

const DAY = 86400_000;

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PkiError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('TrustStore', () => {
  let root: CertificateAndKey;
  /** An end-entity certificate (CA=false) whose key is used to sign anyway. */
  let leafAsIssuer: CertificateAndKey;
  let otherRoot: CertificateAndKey;

  beforeAll(async () => {
    root = await createCertificateAuthority({ commonName: 'Root CA' });
    otherRoot = await createCertificateAuthority({ commonName: 'Root CA' });
    leafAsIssuer = await issueKeyAndCertificate({ issuer: root, subject: 'CN=Not a CA' });
  });

  it('accepts a leaf issued by an anchor and rejects one from another CA with the same name', async () => {
    const store = TrustStore.fromPem(root.certPem);
    const good = await issueKeyAndCertificate({ issuer: root, subject: 'CN=device' });
    const rogue = await issueKeyAndCertificate({ issuer: otherRoot, subject: 'CN=device' });
    expect(codeOf(() => store.verify(parseCertificatePem(good.certPem)))).toBe('ok');
    expect(codeOf(() => store.verify(parseCertificatePem(rogue.certPem)))).toBe('untrusted');
  });

  it('does not let a non-CA certificate in the store act as an issuer', async () => {
    const store = TrustStore.fromPem(root.certPem, leafAsIssuer.certPem);
    const issuedByLeaf = await issueKeyAndCertificate({ issuer: leafAsIssuer, subject: 'CN=device' });
    expect(codeOf(() => store.verify(parseCertificatePem(issuedByLeaf.certPem)))).toBe('untrusted');
  });

  it('chains through an intermediate CA held in the store', async () => {
    const inter = await createCertificateAuthority({ commonName: 'Issuing CA' });
    const store = TrustStore.fromPem(`${root.certPem}\n${inter.certPem}`);
    const leaf = await issueKeyAndCertificate({ issuer: inter, subject: 'CN=device' });
    expect(codeOf(() => store.verify(parseCertificatePem(leaf.certPem)))).toBe('ok');
    expect(store.size).toBe(2);
  });

  it('reports expired and not-yet-valid leaves', async () => {
    const store = new TrustStore([parseCertificatePem(root.certPem)]);
    const expired = await issueKeyAndCertificate({ issuer: root, subject: 'CN=old', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const future = await issueKeyAndCertificate({ issuer: root, subject: 'CN=new', notBefore: new Date(Date.now() + DAY), validityDays: 10 });
    expect(codeOf(() => store.verify(parseCertificatePem(expired.certPem)))).toBe('expired');
    expect(codeOf(() => store.verify(parseCertificatePem(future.certPem)))).toBe('not-yet-valid');
    // Checked at a time inside its validity the same certificate passes: the cache does not pin the first answer.
    expect(codeOf(() => store.verify(parseCertificatePem(future.certPem), new Date(Date.now() + 2 * DAY)))).toBe('ok');
  });

  it('reports an expired issuing CA', async () => {
    const ca = await createCertificateAuthority({ commonName: 'Short CA', validityDays: 1 });
    const store = TrustStore.fromPem(ca.certPem);
    const leaf = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device', validityDays: 30 });
    const cert = parseCertificatePem(leaf.certPem);
    expect(codeOf(() => store.verify(cert))).toBe('ok');
    expect(() => store.verify(cert, new Date(Date.now() + 5 * DAY))).toThrow(/issuing certificate .* expired/);
  });

  it('caches verified chains by fingerprint and still catches a forged signature', async () => {
    const store = TrustStore.fromPem(root.certPem);
    const { publicKeyPem } = await generateRsaKeyPair();
    const genuine = parseCertificatePem((await issueCertificate({ issuer: root, subject: 'CN=device', publicKeyPem })).certPem);
    const spy = jest.spyOn(X509Certificate.prototype, 'verify');
    store.verify(genuine);
    const calls = spy.mock.calls.length;
    store.verify(genuine);
    expect(spy.mock.calls.length).toBe(calls);
    spy.mockRestore();
    // Flip a bit of the signature: same issuer and subject, but the chain must not verify.
    const forgedDer = Buffer.from(genuine.raw);
    forgedDer[forgedDer.length - 5] ^= 0x01;
    expect(codeOf(() => store.verify(new X509Certificate(forgedDer)))).toBe('untrusted');
  });
});
