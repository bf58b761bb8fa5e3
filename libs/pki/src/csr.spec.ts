import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { generateRsaKeyPair, type KeyPairPem } from './authority';
import { createCsr, parseCsr } from './csr';
import { pkiRefusal } from './test/pki-refusal';


describe('PKCS#10 requests', () => {
  let keys: KeyPairPem;
  let other: KeyPairPem;

  beforeAll(async () => {
    [keys, other] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
  });

  it('round-trips subject, key, key size and challengePassword', async () => {
    const der = await createCsr({ subject: 'CN=device 1, O=Acme\\, Inc.', ...keys, challengePassword: 'secret-challenge' });
    const csr = parseCsr(der);
    expect(csr.subject).toBe('CN=device 1, O=Acme\\, Inc.');
    expect(csr.challengePassword).toBe('secret-challenge');
    expect(csr.keyBits).toBe(2048);
    expect(csr.der.equals(der)).toBe(true);
    expect(createPublicKey(csr.publicKeyPem).export({ format: 'der', type: 'spki' })).toEqual(
      createPublicKey(keys.publicKeyPem).export({ format: 'der', type: 'spki' }),
    );
    // The Name DER sits inside the request unchanged.
    expect(der.includes(csr.subjectDn)).toBe(true);
  });

  it('keeps a challenge that PrintableString cannot carry (UTF8String)', async () => {
    const csr = parseCsr(await createCsr({ subject: 'CN=x', ...keys, challengePassword: 'clé_unique@1' }));
    expect(csr.challengePassword).toBe('clé_unique@1');
  });

  it('has no challengePassword when none was given', async () => {
    expect(parseCsr(await createCsr({ subject: 'CN=x', ...keys })).challengePassword).toBeUndefined();
  });

  it('refuses a key pair that does not belong together', async () => {
    await expect(createCsr({ subject: 'CN=x', keyPem: keys.keyPem, publicKeyPem: other.publicKeyPem })).rejects.toMatchObject({
      code: 'key-mismatch',
    });
  });

  it('rejects a request whose content was changed after signing', async () => {
    const der = await createCsr({ subject: 'CN=original', ...keys, challengePassword: 'aaaa' });
    const at = der.indexOf(Buffer.from('aaaa'));
    const tampered = Buffer.from(der);
    tampered.write('bbbb', at, 'ascii');
    expect(pkiRefusal(() => parseCsr(tampered)).code).toBe('bad-signature');
  });

  it('rejects garbage as malformed', () => {
    expect(pkiRefusal(() => parseCsr(Buffer.from('not a csr'))).code).toBe('malformed');
    expect(pkiRefusal(() => parseCsr(Buffer.alloc(0))).code).toBe('malformed');
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('openssl not on PATH; skipping CSR interoperability tests');

(haveOpenssl ? describe : describe.skip)('CSR interoperability with openssl', () => {
  let dir: string;
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr.toString()}`);
    return result.stdout.toString();
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-csr-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads an openssl request with a challengePassword (EC key)', () => {
    fs.writeFileSync(
      path.join(dir, 'req.cnf'),
      '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=openssl device\nO=Example\n[attrs]\nchallengePassword=from-openssl\n',
    );
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-config', 'req.cnf', '-outform', 'DER', '-out', 'req.der');
    const csr = parseCsr(fs.readFileSync(path.join(dir, 'req.der')));
    expect(csr.subject).toBe('CN=openssl device, O=Example');
    expect(csr.challengePassword).toBe('from-openssl');
    expect(csr.keyBits).toBe(256);
  });

  it('writes requests openssl verifies', async () => {
    const keys = await generateRsaKeyPair(2048);
    fs.writeFileSync(path.join(dir, 'ours.der'), await createCsr({ subject: 'CN=ours', ...keys, challengePassword: 'pw' }));
    const out = openssl('req', '-inform', 'DER', '-in', 'ours.der', '-verify', '-noout', '-text');
    expect(out).toMatch(/challengePassword\s*:\s*pw/);
    expect(out).toContain('CN = ours');
  });
});
