import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCertRep, createCsr, degenerateCertificates, generateRsaKeyPair, parseScepRequest, type CertificateAndKey, type KeyPairPem } from '@mdm/pki';
import { buildScepPkiMessage } from './scep-client-messages';
import { issueFor } from './scep-spec-support';
import { createTestDeviceCa } from './test-pki';

/* openssl is the independent implementation both ends of this repository's SCEP are checked against. */

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('openssl not on PATH; skipping SCEP interoperability tests');

(haveOpenssl ? describe : describe.skip)('SCEP interoperability with openssl', () => {
  let dir: string;
  let ca: CertificateAndKey;
  let keys: KeyPairPem;
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr.toString()}`);
    return result.stdout.toString();
  };
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scep-'));
    [ca, keys] = await Promise.all([createTestDeviceCa(), generateRsaKeyPair(2048)]);
    fs.writeFileSync(file('ca.pem'), ca.certPem);
    fs.writeFileSync(file('ca.key'), ca.keyPem);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['-aes128', '-des3'])('the server opens an openssl streamed (BER, indefinite-length) envelope made with %s', async (cipher) => {
    fs.writeFileSync(file('csr.der'), await createCsr({ subject: 'CN=openssl envelope', ...keys, challengePassword: 'ossl' }));
    openssl('cms', '-encrypt', '-binary', '-stream', cipher, '-in', 'csr.der', '-outform', 'DER', '-out', 'env.der', 'ca.pem');
    const envelope = fs.readFileSync(file('env.der'));
    expect(envelope[1]).toBe(0x80); // really indefinite-length
    const pending = await buildScepPkiMessage({
      recipientCertPem: ca.certPem,
      ...keys,
      subject: 'CN=unused',
      encryption: 'AES-256-CBC',
      digest: 'SHA-256',
      envelope,
    });
    const req = await parseScepRequest(pending.message, ca);
    expect(req.csr.subject).toBe('CN=openssl envelope');
    expect(req.csr.challengePassword).toBe('ossl');
    expect(req.contentEncryption).toBe(cipher === '-des3' ? 'DES-EDE3-CBC' : 'AES-128-CBC');
  });

  it('openssl verifies the CertRep signature and decrypts its envelope to the certificate', async () => {
    const pending = await buildScepPkiMessage({ recipientCertPem: ca.certPem, ...keys, subject: 'CN=ossl', challenge: 'x', encryption: 'AES-256-CBC', digest: 'SHA-256' });
    const req = await parseScepRequest(pending.message, ca);
    const certificatePem = await issueFor(ca, req);
    fs.writeFileSync(file('certrep.der'), await buildCertRep({ request: req, ca, result: { status: 'SUCCESS', certificatePem } }));
    fs.writeFileSync(file('signer.pem'), pending.signer.certPem);
    fs.writeFileSync(file('signer.key'), pending.signer.keyPem);
    // -purpose any: the test CA certificate has only keyCertSign/cRLSign, which S/MIME purpose checks refuse.
    openssl('cms', '-verify', '-binary', '-purpose', 'any', '-inform', 'DER', '-in', 'certrep.der', '-CAfile', 'ca.pem', '-out', 'envelope.der');
    openssl('cms', '-decrypt', '-binary', '-inform', 'DER', '-in', 'envelope.der', '-recip', 'signer.pem', '-inkey', 'signer.key', '-out', 'degenerate.der');
    const printed = openssl('pkcs7', '-inform', 'DER', '-in', 'degenerate.der', '-print_certs');
    expect(new X509Certificate(printed).raw.equals(new X509Certificate(certificatePem).raw)).toBe(true);
    expect(openssl('asn1parse', '-inform', 'DER', '-in', 'certrep.der')).toMatch(/2\.16\.840\.1\.113733\.1\.9\.3[\s\S]*PRINTABLESTRING\s*:0/);
  });

  it('openssl reads the GetCACert chain (degenerate PKCS#7)', () => {
    fs.writeFileSync(file('chain.p7'), degenerateCertificates([ca.certPem, ca.certPem]));
    expect(openssl('pkcs7', '-inform', 'DER', '-in', 'chain.p7', '-print_certs').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });
});
