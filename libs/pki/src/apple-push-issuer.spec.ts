import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { applePushIssuer } from './apple-push-issuer';
import { createCertificateAuthority, generateRsaKeyPair, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { toArrayBuffer } from './crypto-engine';

jest.setTimeout(60_000);

const topic = 'com.apple.mgmt.External.0f0e1d2c-3b4a-5968-7766-554433221100';
const pushSubject = `UID=${topic}, CN=APSP:0f0e1d2c-3b4a-5968-7766-554433221100, C=US`;
const AAI2 = 'CN=Apple Application Integration 2 Certification Authority, OU=Apple Certification Authority, O=Apple Inc., C=US';

/** A CA carrying Apple's push CA name and, optionally, Apple's key identifier: what a real push certificate's issuer looks like. */
async function caNamed(name: string, keyIdHex?: string): Promise<CertificateAndKey> {
  const keys = await generateRsaKeyPair(2048);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await crypto.subtle.importKey('pkcs8', toArrayBuffer(Buffer.from(keys.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')), alg, true, ['sign']);
  const publicKey = await crypto.subtle.importKey('spki', toArrayBuffer(Buffer.from(keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')), alg, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys: { privateKey, publicKey },
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      keyIdHex ? new x509.SubjectKeyIdentifierExtension(keyIdHex) : await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keys.keyPem };
}

const pushCertificateFrom = async (issuer: CertificateAndKey) =>
  new X509Certificate((await issueKeyAndCertificate({ issuer, subject: pushSubject, validityDays: 30, extendedKeyUsage: ['clientAuth'] })).certPem);

describe('applePushIssuer', () => {
  it('recognises a push certificate under Apple Application Integration 2 (its name and key identifier)', async () => {
    const cert = await pushCertificateFrom(await caNamed(AAI2, 'f7be7c216091db3d1b7bd83a328169df9e6c7f9b'));
    expect(applePushIssuer(cert, topic)).toEqual({ issuedByApple: true });
  });

  it('warns about a self-signed certificate with an Apple-looking UID', async () => {
    const selfSigned = await caNamed(pushSubject.replace(`UID=${topic}, `, ''));
    const verdict = applePushIssuer(new X509Certificate(selfSigned.certPem), topic);
    expect(verdict.issuedByApple).toBe(false);
    expect(verdict.warning).toMatch(new RegExp(`^push certificate for ${topic.replace(/\./g, '\\.')} was not issued by Apple's push CA .*: it is self-signed\\. APNs will refuse it`));
  });

  it("warns about a certificate from another CA, naming it, and about one using Apple's CA name on another key", async () => {
    const test = await createCertificateAuthority({ commonName: 'Fake Apple Push CA', organization: 'mdm testing', validityDays: 30 });
    expect(applePushIssuer(await pushCertificateFrom(test), topic)).toMatchObject({ issuedByApple: false, warning: expect.stringMatching(/its issuer is "CN=Fake Apple Push CA, O=mdm testing"/) });
    const lookalike = await pushCertificateFrom(await caNamed(AAI2));
    expect(applePushIssuer(lookalike, topic)).toMatchObject({ issuedByApple: false, warning: expect.stringMatching(/authority key identifier is not that CA's key/) });
  });
});
