import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { parseCertificatePem } from './certificates';
import { parseAttachedSignedData, verifyDetachedSignature } from './cms';
import { signAttached, signDetached } from './cms-sign';
import { PkiError } from './errors';
import { TrustStore } from './trust-store';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';
import { describeWithOpenssl, openssl } from './test/openssl';

const SIGNATURES = sharedPath('fixtures/nanomdm/mdm-signature');

async function pkiError(promise: Promise<unknown>): Promise<PkiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PkiError) return err;
    throw new Error(`expected a PkiError, got ${String(err)}`);
  }
  throw new Error('expected a PkiError, but the call succeeded');
}

describeWithShared(path.join(SIGNATURES, 'idle.header.txt'))('real device Mdm-Signature samples (nanomdm)', () => {
  const read = (name: string) => fs.readFileSync(path.join(SIGNATURES, name));

  it('verifies the idle signature over its body (SHA-1, BER indefinite length, no signed attributes)', async () => {
    const result = await verifyDetachedSignature(read('idle.header.txt').toString('utf8'), read('idle.body.plist'));
    expect(result.digestAlgorithm).toBe('SHA-1');
    expect(result.certificates).toHaveLength(1);
    expect(result.signer.issuer).toContain('CN=ca');
    expect(result.signer.raw.equals(result.certificates[0].raw)).toBe(true);
  });

  it('rejects the idle signature over a modified body', async () => {
    const body = Buffer.from(read('idle.body.plist').toString('utf8').replace('Idle', 'idle'));
    const err = await pkiError(verifyDetachedSignature(read('idle.header.txt').toString('utf8'), body));
    expect(err.code).toBe('bad-signature');
  });

  it('parses the BER sample that broke older parsers (its body is not published, so only the signature check fails)', async () => {
    const err = await pkiError(
      verifyDetachedSignature(read('ber-indefinite-length.header.txt').toString('utf8'), read('idle.body.plist')),
    );
    expect(err.code).toBe('bad-signature');
    expect(err.message).not.toMatch(/could not be read|not valid BER/);
  });
});

describe('CMS sign and verify', () => {
  let ca: CertificateAndKey;
  let device: CertificateAndKey;
  const body = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string></dict></plist>');

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Test Device CA' });
    device = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device-1', extendedKeyUsage: ['clientAuth'] });
  });

  it.each(['SHA-1', 'SHA-256'] as const)('round-trips a detached %s signature', async (digest) => {
    const signature = await signDetached(body, device, { digest });
    const result = await verifyDetachedSignature(signature, body);
    expect(result.digestAlgorithm).toBe(digest);
    expect(result.signer.raw.equals(parseCertificatePem(device.certPem).raw)).toBe(true);
  });

  it.each(['SHA-1', 'SHA-256'] as const)('rejects a %s signature over another body (messageDigest check)', async (digest) => {
    const signature = await signDetached(body, device, { digest });
    const tampered = Buffer.from(body);
    tampered[tampered.length - 10] ^= 1;
    const err = await pkiError(verifyDetachedSignature(signature, tampered));
    expect(err.code).toBe('bad-signature');
  });

  it('rejects a signature whose signed attributes were altered', async () => {
    const der = Buffer.from(await signDetached(body, device), 'base64');
    // signingTime is the last UTCTime (the certificate's validity dates come first); change one digit.
    const at = der.lastIndexOf(Buffer.from('170d', 'hex'));
    expect(at).toBeGreaterThan(0);
    der[at + 3] = der[at + 3] === 0x30 ? 0x31 : 0x30;
    const err = await pkiError(verifyDetachedSignature(der.toString('base64'), body));
    expect(err.code).toBe('bad-signature');
  });

  it('rejects a signature whose signer certificate was swapped for another', async () => {
    const other = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device-2' });
    const der = Buffer.from(await signDetached(body, device), 'base64');
    const deviceDer = parseCertificatePem(device.certPem).raw;
    const otherDer = parseCertificatePem(other.certPem).raw;
    const at = der.indexOf(deviceDer);
    expect(at).toBeGreaterThan(0);
    // Same issuer; the serial in the SignerInfo no longer matches any carried certificate.
    const swapped = Buffer.concat([der.subarray(0, at), otherDer, der.subarray(at + deviceDer.length)]);
    const err = await pkiError(verifyDetachedSignature(swapped.toString('base64'), body));
    expect(['malformed', 'bad-signature']).toContain(err.code);
  });

  it.each([
    ['empty', ''],
    ['not base64', 'not a signature!'],
    ['base64 of garbage', Buffer.from('hello world').toString('base64')],
    ['truncated CMS', 'MIAGCSqGSIb3DQEHAqCAMIACAQExCzAJBgUrDgMCGgUA'],
  ])('reports %s as malformed PkiError', async (_label, header) => {
    const err = await pkiError(verifyDetachedSignature(header, body));
    expect(err.code).toBe('malformed');
  });

  it('a signature from a certificate of another CA passes CMS but fails the trust store', async () => {
    const rogueCa = await createCertificateAuthority({ commonName: 'Test Device CA' });
    const rogue = await issueKeyAndCertificate({ issuer: rogueCa, subject: 'CN=device-1' });
    const { signer } = await verifyDetachedSignature(await signDetached(body, rogue), body);
    const store = TrustStore.fromPem(ca.certPem);
    expect(() => store.verify(signer)).toThrow(expect.objectContaining({ code: 'untrusted' }));
    const good = await verifyDetachedSignature(await signDetached(body, device), body);
    expect(() => store.verify(good.signer)).not.toThrow();
  });

  it('round-trips attached SignedData (signed profiles)', async () => {
    const profile = Buffer.from('<plist><dict><key>PayloadType</key><string>Configuration</string></dict></plist>');
    const der = await signAttached(profile, device);
    const parsed = await parseAttachedSignedData(der);
    expect(parsed.content.equals(profile)).toBe(true);
    expect(parsed.signer.raw.equals(parseCertificatePem(device.certPem).raw)).toBe(true);
    // Detached verification of the same structure over the same content also holds.
    await expect(verifyDetachedSignature(der.toString('base64'), profile)).resolves.toBeDefined();
  });

  it('rejects attached SignedData whose content was altered', async () => {
    const profile = Buffer.from('<plist><dict><key>PayloadType</key><string>Configuration</string></dict></plist>');
    const der = await signAttached(profile, device);
    const at = der.indexOf(Buffer.from('Configuration'));
    der[at] = 'c'.charCodeAt(0);
    const err = await pkiError(parseAttachedSignedData(der));
    expect(err.code).toBe('bad-signature');
  });

  it('refuses to sign with a key that does not match the certificate', async () => {
    const other = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=other' });
    const err = await pkiError(signDetached(body, { certPem: device.certPem, keyPem: other.keyPem }));
    expect(err.code).toBe('key-mismatch');
  });
});

// A second, independent CMS implementation: catches a verifier and a signer that agree only with each other.
describeWithOpenssl('CMS interoperability with openssl', () => {
  let dir: string;
  let ca: CertificateAndKey;
  let device: CertificateAndKey;
  const body = Buffer.from('<plist><dict><key>Status</key><string>Idle</string></dict></plist>');
  const run = (...args: string[]) => openssl(dir, ...args);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-cms-'));
    ca = await createCertificateAuthority({ commonName: 'Interop CA' });
    device = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=device' });
    fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
    fs.writeFileSync(path.join(dir, 'device.pem'), device.certPem);
    fs.writeFileSync(path.join(dir, 'device.key'), device.keyPem);
    fs.writeFileSync(path.join(dir, 'body'), body);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('verifies openssl streamed (BER indefinite-length) detached signatures', async () => {
    run('cms', '-sign', '-binary', '-stream', '-outform', 'DER', '-md', 'sha256', '-signer', 'device.pem', '-inkey', 'device.key', '-in', 'body', '-out', 'sig.der');
    const sig = fs.readFileSync(path.join(dir, 'sig.der'));
    expect(sig.subarray(0, 2).toString('hex')).toBe('3080');
    const result = await verifyDetachedSignature(sig.toString('base64'), body);
    expect(result.digestAlgorithm).toBe('SHA-256');
    await expect(verifyDetachedSignature(sig.toString('base64'), Buffer.concat([body, Buffer.from(' ')]))).rejects.toMatchObject({ code: 'bad-signature' });
  });

  it('reads openssl streamed attached SignedData (segmented content)', async () => {
    run('cms', '-sign', '-binary', '-nodetach', '-stream', '-outform', 'DER', '-md', 'sha1', '-signer', 'device.pem', '-inkey', 'device.key', '-in', 'body', '-out', 'attached.der');
    const parsed = await parseAttachedSignedData(fs.readFileSync(path.join(dir, 'attached.der')));
    expect(parsed.content.equals(body)).toBe(true);
  });

  it.each(['SHA-1', 'SHA-256'] as const)('produces %s signatures openssl verifies', async (digest) => {
    fs.writeFileSync(path.join(dir, 'ours.der'), Buffer.from(await signDetached(body, device, { digest }), 'base64'));
    run('cms', '-verify', '-binary', '-inform', 'DER', '-in', 'ours.der', '-content', 'body', '-CAfile', 'ca.pem', '-purpose', 'any', '-out', 'out');
    fs.writeFileSync(path.join(dir, 'ours-attached.der'), await signAttached(body, device, { digest }));
    const content = run('cms', '-verify', '-binary', '-inform', 'DER', '-in', 'ours-attached.der', '-CAfile', 'ca.pem', '-purpose', 'any');
    expect(content.equals(body)).toBe(true);
  });
});
