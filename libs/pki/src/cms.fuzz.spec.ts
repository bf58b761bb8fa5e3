import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { createCertificateAuthority, issueKeyAndCertificate, type CertificateAndKey } from './authority';
import { parseCertificatePem, validityOf } from './certificates';
import { verifyDetachedSignature } from './cms';
import { signDetached } from './cms-sign';
import { PkiError } from './errors';
import { TrustStore } from './trust-store';
import { derMutation, fuzzRun, mutate } from '../../../test/support/fuzz';
import { itWithShared, sharedPath } from '../../../test/support/shared-checkout';

/*
 * Fuzzing the device authentication path (verifyDetachedSignature, then TrustStore.verify): whatever
 * the bytes, the answer is a PkiError or an authentic (signer, body) pair; never another exception,
 * never a pass for a body the signer did not sign or a certificate the store does not trust. Each
 * property reports how many inputs it tried (test names, test-output/fuzz-summary.json).
 */

const FIXTURES = sharedPath('fixtures/nanomdm/mdm-signature');
const { checkAsync } = fuzzRun(__filename);

type Outcome = { verdict: 'refused'; error: PkiError } | { verdict: 'accepted'; signerDer: Buffer };

/** The gateway's device authentication, minus HTTP: signature, then trust. */
async function authenticate(signature: string, body: Buffer, store: TrustStore, at?: Date): Promise<Outcome> {
  try {
    const { signer } = await verifyDetachedSignature(signature, body);
    store.verify(signer, at);
    return { verdict: 'accepted', signerDer: signer.raw };
  } catch (err) {
    if (err instanceof PkiError) return { verdict: 'refused', error: err };
    throw new Error(`threw ${String(err)} instead of a PkiError`);
  }
}

/** Byte-level damage to a DER/BER structure: flips, cuts, insertions, deletions, duplicated slices, length octets. */
const byteMutation = derMutation();

jest.setTimeout(60_000);

const RUNS = { signature: 400, fixtureSignature: 250, base64: 300, body: 250, otherBody: 50, validity: 1000 };

describe('CMS and trust properties (fast-check)', () => {
  let ca: CertificateAndKey;
  let device: CertificateAndKey;
  let store: TrustStore;
  const body = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>0000-FUZZ</string></dict></plist>\n',
  );
  const signatures: string[] = [];

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Fuzz Device CA' });
    device = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=fuzz device', extendedKeyUsage: ['clientAuth'] });
    store = TrustStore.fromPem(ca.certPem);
    signatures.push(await signDetached(body, device, { digest: 'SHA-256' }), await signDetached(body, device, { digest: 'SHA-1' }));
  });

  it('accepts the genuine signatures (the properties start from a valid case)', async () => {
    for (const signature of signatures) expect(await authenticate(signature, body, store)).toMatchObject({ verdict: 'accepted' });
  });

  it(`refuses mutated signatures, or accepts only the genuine signer over the genuine body (${RUNS.signature} runs)`, async () => {
    const genuine = parseCertificatePem(device.certPem).raw;
    await checkAsync('signatureBytes', fc.asyncProperty(fc.constantFrom(0, 1), fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
      const der = mutate(Buffer.from(signatures[which], 'base64'), mutations);
      const outcome = await authenticate(der.toString('base64'), body, store);
      // A mutation in bytes the verifier ignores (an unused algorithm parameter, a second copy of a
      // certificate) may still verify: fine, as long as it is the real signer over the real body.
      if (outcome.verdict === 'accepted') expect(outcome.signerDer.equals(genuine)).toBe(true);
    }), RUNS.signature);
  });

  const fixture = (name: string) => path.join(FIXTURES, name);
  itWithShared(fixture('idle.header.txt'))(
    `answers mutated real device signatures (BER, indefinite lengths) with PkiError only (${RUNS.fixtureSignature} runs)`,
    async () => {
      const header = fs.readFileSync(fixture('idle.header.txt'), 'utf8');
      const idle = fs.readFileSync(fixture('idle.body.plist'));
      const original = await verifyDetachedSignature(header, idle);
      await checkAsync('fixtureSignatureBytes', fc.asyncProperty(fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const der = mutate(Buffer.from(header.replace(/\s+/g, ''), 'base64'), mutations);
        // The fixture's CA is not ours: trust it alone, so a pass means the signature verified.
        const outcome = await authenticate(der.toString('base64'), idle, new TrustStore(original.certificates));
        if (outcome.verdict === 'accepted') expect(outcome.signerDer.equals(original.signer.raw)).toBe(true);
      }), RUNS.fixtureSignature);
    },
  );

  it(`refuses headers that are not base64, or base64 of garbage, as malformed (${RUNS.base64} runs)`, async () => {
    await checkAsync('headerText', fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.base64String({ maxLength: 400 })), async (header) => {
      const outcome = await authenticate(header, body, store);
      expect(outcome.verdict).toBe('refused');
    }), RUNS.base64);
  });

  it(`never accepts a signature over a body that was changed (${RUNS.body} runs)`, async () => {
    await checkAsync('bodyBytes', fc.asyncProperty(fc.constantFrom(0, 1), fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
      const changed = mutate(body, mutations);
      fc.pre(!changed.equals(body));
      const outcome = await authenticate(signatures[which], changed, store);
      expect(outcome.verdict).toBe('refused');
      if (outcome.verdict === 'refused') expect(outcome.error.code).toBe('bad-signature');
    }), RUNS.body);
  });

  it(`never accepts a genuine signature presented with another body (${RUNS.otherBody} runs)`, async () => {
    await checkAsync('otherBody', fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 512 }), async (a, b) => {
      fc.pre(!Buffer.from(a).equals(Buffer.from(b)));
      const signature = await signDetached(Buffer.from(a), device);
      const outcome = await authenticate(signature, Buffer.from(b), store);
      expect(outcome).toMatchObject({ verdict: 'refused', error: { code: 'bad-signature' } });
    }), RUNS.otherBody);
  });

  it('refuses a valid signature by a certificate from another CA, and one that merely copies our CA\'s name', async () => {
    const foreignCa = await createCertificateAuthority({ commonName: 'Someone Else CA' });
    const lookalikeCa = await createCertificateAuthority({ commonName: 'Fuzz Device CA' });
    for (const issuer of [foreignCa, lookalikeCa]) {
      const stranger = await issueKeyAndCertificate({ issuer, subject: 'CN=fuzz device', extendedKeyUsage: ['clientAuth'] });
      const outcome = await authenticate(await signDetached(body, stranger), body, store);
      expect(outcome).toMatchObject({ verdict: 'refused', error: { code: 'untrusted' } });
    }
    // A self-signed device certificate is not a CA of the store either.
    const selfSigned = await createCertificateAuthority({ commonName: 'fuzz device' });
    expect(await authenticate(await signDetached(body, selfSigned), body, store)).toMatchObject({ verdict: 'refused', error: { code: 'untrusted' } });
  });

  it(`accepts a certificate exactly within its validity and refuses it before and after (${RUNS.validity} instants)`, async () => {
    const notBefore = new Date(Date.now() - 10 * 86400_000);
    const notAfter = new Date(Date.now() + 10 * 86400_000);
    const bounded = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=bounded device', notBefore, notAfter, extendedKeyUsage: ['clientAuth'] });
    // The signature is checked once; the property is about the store's verdict at each instant.
    const { signer } = await verifyDetachedSignature(await signDetached(body, bounded), body);
    // X.509 times have whole seconds.
    const from = Math.floor(notBefore.getTime() / 1000) * 1000;
    const to = Math.floor(notAfter.getTime() / 1000) * 1000;
    const instant = fc.oneof(
      fc.integer({ min: from - 30 * 86400_000, max: to + 30 * 86400_000 }),
      fc.constantFrom(from - 1, from, to, to + 1),
    );
    // The CA was made just now: its own window counts too, after the leaf's (the chain is checked leaf first).
    const caValidity = validityOf(parseCertificatePem(ca.certPem));
    const expected = (ms: number): string => {
      if (ms > to) return 'expired';
      if (ms < from) return 'not-yet-valid';
      if (ms > caValidity.notAfter.getTime()) return 'expired';
      if (ms < caValidity.notBefore.getTime()) return 'not-yet-valid';
      return 'accepted';
    };
    await checkAsync('validity', fc.asyncProperty(instant, async (ms) => {
      let verdict = 'accepted';
      try {
        store.verify(signer, new Date(ms));
      } catch (err) {
        if (!(err instanceof PkiError)) throw err;
        verdict = err.code;
      }
      expect(verdict).toBe(expected(ms));
    }), RUNS.validity);
  });

  it('refuses expired and not-yet-valid device certificates now', async () => {
    const day = 86400_000;
    const expired = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=old', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) });
    const future = await issueKeyAndCertificate({ issuer: ca, subject: 'CN=future', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 3 * day) });
    expect(await authenticate(await signDetached(body, expired), body, store)).toMatchObject({ verdict: 'refused', error: { code: 'expired' } });
    expect(await authenticate(await signDetached(body, future), body, store)).toMatchObject({ verdict: 'refused', error: { code: 'not-yet-valid' } });
  });
});
