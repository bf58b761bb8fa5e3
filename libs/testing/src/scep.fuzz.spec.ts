import fc from 'fast-check';
import { createCertificateAuthority, generateRsaKeyPair, parseScepRequest, PkiError, ScepRequestError, type CertificateAndKey } from '@mdm/pki';
import { buildScepPkiMessage } from './scep-client-messages';
import { derMutation, fuzzRun, mutate } from '../../../test/support/fuzz';

/*
 * Fuzzing the SCEP server's request parsing (@mdm/pki parseScepRequest, behind POST /scep) with
 * messages from this package's independent client, mutated: the answer is a PkiError (a
 * ScepRequestError when the message was read far enough for a FAILURE CertRep), never another
 * exception, and a message that still parses carries exactly the request that was signed. It lives
 * here rather than in libs/pki because the valid messages it mutates come from the test client.
 */

const { checkAsync } = fuzzRun(__filename);

jest.setTimeout(60_000);

// Without duplicated slices, as this property has always run: a recorded FUZZ_SEED still replays the same inputs.
const byteMutation = derMutation({ repeat: false });

const RUNS = { pkiOperation: 400, garbage: 300 };

describe('SCEP PKIOperation parsing properties (fast-check)', () => {
  let ca: CertificateAndKey;
  const messages: Array<{ message: Buffer; transactionId: string; publicKeyPem: string }> = [];

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Fuzz SCEP CA' });
    const key = await generateRsaKeyPair();
    for (const [encryption, digest] of [['AES-256-CBC', 'SHA-256'], ['DES-EDE3-CBC', 'SHA-1']] as const) {
      const pending = await buildScepPkiMessage({ recipientCertPem: ca.certPem, ...key, subject: 'CN=fuzz', challenge: 'fuzz-challenge', encryption, digest });
      messages.push({ message: pending.message, transactionId: pending.transactionId, publicKeyPem: key.publicKeyPem });
    }
  });

  it('reads the unmutated messages (the property starts from a valid case)', async () => {
    for (const m of messages) {
      const request = await parseScepRequest(m.message, ca);
      expect(request).toMatchObject({ messageType: 'PKCSReq', transactionId: m.transactionId });
      expect(request.csr.challengePassword).toBe('fuzz-challenge');
    }
  });

  it(`answers mutated PKIOperation messages with PkiError only, or the very request that was signed (${RUNS.pkiOperation} runs)`, async () => {
    let scepFailures = 0;
    await checkAsync('pkiOperationBytes', fc.asyncProperty(fc.constantFrom(0, 1), fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
      const original = messages[which];
      try {
        const request = await parseScepRequest(mutate(original.message, mutations), ca);
        // Still readable means the mutation touched nothing signed (or a copy the parser ignores).
        expect(request.transactionId).toBe(original.transactionId);
        expect(request.csr.publicKeyPem).toBe(original.publicKeyPem);
        expect(request.csr.challengePassword).toBe('fuzz-challenge');
      } catch (err) {
        if (!(err instanceof PkiError)) throw new Error(`threw ${String(err)} instead of a PkiError`);
        if (err instanceof ScepRequestError) scepFailures++;
      }
    }), RUNS.pkiOperation);
    // Some mutations land after the outer structure was read: those must come back as answerable refusals.
    expect(scepFailures).toBeGreaterThan(0);
  });

  it(`answers arbitrary bytes as a PKIOperation with PkiError only (${RUNS.garbage} runs)`, async () => {
    await checkAsync('garbageBytes', fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x30, 0x80, ...b]))), async (bytes) => {
      await expect(parseScepRequest(Buffer.from(bytes), ca)).rejects.toBeInstanceOf(PkiError);
    }), RUNS.garbage);
  });
});
