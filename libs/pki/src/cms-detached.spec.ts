import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { childrenOf, definiteLengthOf, objectIdentifierOf, octetStringOf, readTlv } from './ber';
import { fingerprintSha256, parseCertificatePem } from './certificates';
import { DetachedSignatureVerifier } from './cms-detached';
import { signDetached } from './cms-sign';
import { pkiRefusal } from './test/pki-refusal';
import { describeWithOpenssl, openssl } from './test/openssl';

const body = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>0000-WALK</string></dict></plist>');


describe('BER walking', () => {
  it('reads indefinite-length elements and joins a segmented OCTET STRING', () => {
    // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" }, OID 1.2.840.113549.1.7.2 }
    const oid = Buffer.from('06092a864886f70d010702', 'hex');
    const der = Buffer.concat([Buffer.from('3080', 'hex'), Buffer.from('2480040261620401630000', 'hex'), oid, Buffer.from('0000', 'hex')]);
    const top = readTlv(der, 0);
    expect(top).toMatchObject({ tag: 0x30, indefinite: true, next: der.length });
    const [octets, id] = childrenOf(der, top);
    expect(octetStringOf(der, octets).toString()).toBe('abc');
    expect(objectIdentifierOf(der, id)).toBe('1.2.840.113549.1.7.2');
    // Re-encoded with definite lengths, segments kept: 30 14 { 24 07 { 04 02 'ab', 04 01 'c' }, 06 09 ... }.
    expect(definiteLengthOf(der, top).toString('hex')).toBe(`3014240704026162040163${oid.toString('hex')}`);
    // Already definite: the received bytes, not a re-encoding.
    const definite = definiteLengthOf(der, top);
    const again = definiteLengthOf(definite, readTlv(definite, 0));
    expect(again.equals(definite)).toBe(true);
    expect(again.buffer).toBe(definite.buffer);
  });

  it('refuses truncated, unterminated and too deeply nested input as malformed', () => {
    expect(pkiRefusal(() => readTlv(Buffer.from('3005020101', 'hex'), 0)).code).toBe('malformed');
    expect(pkiRefusal(() => readTlv(Buffer.from('30800201010201', 'hex'), 0)).code).toBe('malformed');
    expect(pkiRefusal(() => readTlv(Buffer.from('3080'.repeat(40), 'hex'), 0)).code).toBe('malformed');
    expect(pkiRefusal(() => readTlv(Buffer.from('0480', 'hex'), 0)).message).toMatch(/indefinite length on a primitive/);
  });
});

describe('DetachedSignatureVerifier', () => {
  let ca: CertificateAndKey;
  let rsa: CertificateAndKey;
  let ecdsa: CertificateAndKey;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Walker CA' });
    rsa = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=rsa device', extendedKeyUsage: ['clientAuth'] });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    ecdsa = { ...(await issueCertificate({ issuer: ca, subject: 'CN=ec device', publicKeyPem: ec.publicKey, extendedKeyUsage: ['clientAuth'] })), keyPem: ec.privateKey };
  });

  it.each(['SHA-1', 'SHA-256'] as const)('verifies RSA and ECDSA signers (%s, signed attributes present)', async (digest) => {
    const verifier = new DetachedSignatureVerifier();
    for (const signer of [rsa, ecdsa]) {
      const cert = parseCertificatePem(signer.certPem);
      const signature = await signDetached(body, signer, { digest });
      const result = verifier.verify(signature, body);
      expect(result.digestAlgorithm).toBe(digest);
      expect(result.signer.fingerprint).toBe(fingerprintSha256(cert));
      expect(result.signer.notAfter.getTime()).toBe(new Date(cert.validTo).getTime());
      expect(result.carried.map((der) => der.equals(cert.raw))).toEqual([true]);
      expect(pkiRefusal(() => verifier.verify(signature, Buffer.concat([body, Buffer.from(' ')]))).code).toBe('bad-signature');
    }
  });

  it('parses a signer certificate once and keeps at most the configured number', async () => {
    const verifier = new DetachedSignatureVerifier(1);
    const rsaSignature = await signDetached(body, rsa);
    const first = verifier.verify(rsaSignature, body).signer;
    expect(verifier.verify(rsaSignature, body).signer).toBe(first);
    verifier.verify(await signDetached(body, ecdsa), body);
    // The RSA signer was evicted: parsed again, to an equal but new entry.
    const again = verifier.verify(rsaSignature, body).signer;
    expect(again).not.toBe(first);
    expect(again.fingerprint).toBe(first.fingerprint);
    const uncached = new DetachedSignatureVerifier(0);
    expect(uncached.verify(rsaSignature, body).signer).not.toBe(uncached.verify(rsaSignature, body).signer);
  });

  it('refuses a cached signer whose signature is over another body, every time', async () => {
    const verifier = new DetachedSignatureVerifier();
    const signature = await signDetached(body, rsa);
    verifier.verify(signature, body);
    const other = Buffer.from(body.toString().replace('Idle', 'Acknowledged'));
    for (let i = 0; i < 2; i++) expect(pkiRefusal(() => verifier.verify(signature, other))).toMatchObject({ code: 'bad-signature', message: expect.stringMatching(/message digest/) });
  });

  it('accepts whitespace inside the base64 and refuses what is not base64', async () => {
    const verifier = new DetachedSignatureVerifier();
    const signature = await signDetached(body, rsa);
    const folded = signature.replace(/(.{64})/g, '$1\n ');
    expect(verifier.verify(folded, body).signer.fingerprint).toBe(fingerprintSha256(parseCertificatePem(rsa.certPem)));
    expect(pkiRefusal(() => verifier.verify(`${signature.slice(0, 100)}!${signature.slice(100)}`, body)).message).toMatch(/not base64/);
    expect(pkiRefusal(() => verifier.verify('', body)).message).toMatch(/not base64/);
  });
});

// Forms our signer never writes: indefinite lengths throughout (as devices send), no signed attributes, a key identifier as sid.
describeWithOpenssl('DetachedSignatureVerifier on openssl signatures', () => {
  let dir: string;
  const run = (...args: string[]) => openssl(dir, ...args);
  const sign = (...options: string[]): string => {
    run('cms', '-sign', '-binary', '-outform', 'DER', '-signer', 'device.pem', '-inkey', 'device.key', '-in', 'body', '-out', 'sig.der', ...options);
    return fs.readFileSync(path.join(dir, 'sig.der')).toString('base64');
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-walker-'));
    const ca = await createCertificateAuthority({ commonName: 'Walker Interop CA' });
    const device = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device' });
    fs.writeFileSync(path.join(dir, 'device.pem'), device.certPem);
    fs.writeFileSync(path.join(dir, 'device.key'), device.keyPem);
    fs.writeFileSync(path.join(dir, 'body'), body);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['streamed (indefinite lengths), signed attributes', ['-stream', '-md', 'sha256'], 'SHA-256'],
    ['streamed, no signed attributes', ['-stream', '-noattr', '-md', 'sha1'], 'SHA-1'],
    ['subject key identifier as sid', ['-keyid', '-md', 'sha256'], 'SHA-256'],
    ['streamed, key identifier, no signed attributes', ['-stream', '-keyid', '-noattr', '-md', 'sha256'], 'SHA-256'],
  ])('verifies %s and refuses it over another body', (_label, options, digest) => {
    const verifier = new DetachedSignatureVerifier();
    const signature = sign(...options);
    expect(verifier.verify(signature, body).digestAlgorithm).toBe(digest);
    expect(pkiRefusal(() => verifier.verify(signature, Buffer.concat([body, Buffer.from(' ')]))).code).toBe('bad-signature');
  });
});
