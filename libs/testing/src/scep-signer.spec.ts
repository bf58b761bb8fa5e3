import { createPublicKey, X509Certificate } from 'node:crypto';
import {
  buildCertRep,
  createCsr,
  csrMatchesSigner,
  generateRsaKeyPair,
  issueCertificate,
  parseScepRequest,
  pkcsReqSignerRefusal,
  ScepRequestError,
  type CertificateAndKey,
  type KeyPairPem,
} from '@mdm/pki';
import { createDeviceIdentity } from './device-simulator';
import { buildScepPkiMessage, readCertRep, type ScepPkiMessageOptions } from './scep-client-messages';
import { createTestDeviceCa } from './test-pki';

const spki = (pem: string) => createPublicKey(pem).export({ format: 'der', type: 'spki' });

/** Who may sign a PKCSReq (RFC 8894 §3.3.1): the CSR's own key, or any self-signed certificate; not someone's issued identity. */
describe('PKCSReq signer policy', () => {
  let ca: CertificateAndKey;
  let keys: KeyPairPem;

  beforeAll(async () => {
    [ca, keys] = await Promise.all([createTestDeviceCa(), generateRsaKeyPair(2048)]);
  });

  const build = (extra: Partial<ScepPkiMessageOptions> = {}) =>
    buildScepPkiMessage({ recipientCertPem: ca.certPem, ...keys, subject: 'CN=simulator', challenge: 'c-1', encryption: 'AES-256-CBC', digest: 'SHA-256', ...extra });

  it('accepts a signer holding the CSR key, as iOS sends it', async () => {
    const req = await parseScepRequest((await build()).message, ca);
    expect(csrMatchesSigner(req)).toBe(true);
    expect(pkcsReqSignerRefusal(req)).toBeUndefined();
  });

  it('accepts a throwaway self-signed signer on another key and encrypts the CertRep to it', async () => {
    const pending = await build({ throwawaySigner: true });
    const req = await parseScepRequest(pending.message, ca);
    expect(req.signer.subject).toBe(req.signer.issuer);
    expect(csrMatchesSigner(req)).toBe(false);
    expect(pkcsReqSignerRefusal(req)).toBeUndefined();

    const { certPem } = await issueCertificate({ issuer: ca, subject: req.csr.subject, publicKeyPem: req.csr.publicKeyPem, extendedKeyUsage: ['clientAuth'] });
    const certRep = await buildCertRep({ request: req, ca, result: { status: 'SUCCESS', certificatePem: certPem } });
    // The certificate is for the CSR's key; only the throwaway key opens the envelope that carries it.
    const issued = new X509Certificate(readCertRep(certRep, pending, [ca.certPem]));
    expect(issued.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki(keys.publicKeyPem));
    expect(() => readCertRep(certRep, { ...pending, signer: { certPem: pending.signer.certPem, keyPem: keys.keyPem } }, [ca.certPem])).toThrow();
  });

  it('still refuses a throwaway-signed request whose CSR signature is broken', async () => {
    const csr = await createCsr({ subject: 'CN=x', ...keys, challengePassword: 'aaaa' });
    csr.write('bbbb', csr.indexOf(Buffer.from('aaaa')), 'ascii');
    await expect(parseScepRequest((await build({ throwawaySigner: true, csr })).message, ca)).rejects.toMatchObject({
      constructor: ScepRequestError,
      code: 'bad-signature',
      failInfo: 'badMessageCheck',
    });
  });

  it('refuses a signer on another key that someone issued (an identity renews with RenewalReq)', async () => {
    const issued = await createDeviceIdentity(ca);
    const req = await parseScepRequest((await build({ signer: issued })).message, ca);
    expect(pkcsReqSignerRefusal(req)).toMatch(/neither holds the CSR key nor is self-signed/);
  });
});
