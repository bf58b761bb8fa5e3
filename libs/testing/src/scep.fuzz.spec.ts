import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { createCertificateAuthority, generateRsaKeyPair, parseScepRequest, PkiError, ScepRequestError, type CertificateAndKey } from '@mdm/pki';
import { buildScepPkiMessage } from './scep-client';

/*
 * Fuzzing the SCEP server's request parsing (@mdm/pki parseScepRequest, behind POST /scep) with
 * messages from this package's independent client, mutated: the answer is a PkiError (a
 * ScepRequestError when the message was read far enough for a FAILURE CertRep), never another
 * exception, and a message that still parses carries exactly the request that was signed. It lives
 * here rather than in libs/pki because the valid messages it mutates come from the test client.
 */

const SUMMARY = path.resolve(__dirname, '../../../test-output/fuzz-summary.json');
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const tried: Record<string, number> = {};

jest.setTimeout(60_000);

afterAll(() => {
  fs.mkdirSync(path.dirname(SUMMARY), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(SUMMARY, 'utf8')) as Record<string, unknown>;
  } catch {
    /* first writer */
  }
  all['libs/testing/src/scep.fuzz.spec.ts'] = { seed: SEED, runs: tried, at: new Date().toISOString() };
  fs.writeFileSync(SUMMARY, JSON.stringify(all, null, 2) + '\n');
});

const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x80, 0x84, 0xff, 0x7f) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(input: Buffer, mutations: ByteMutation[]): Buffer {
  let out = input;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    switch (m.kind) {
      case 'flip':
        out = Buffer.from(out);
        if (out.length > 0) out[at] ^= m.xor;
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'length':
        out = Buffer.from(out);
        if (out.length > 1) out[(at % (out.length - 1)) + 1] = m.value;
        break;
    }
  }
  return out;
}

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
    const details = await fc.check(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.array(byteMutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
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
      }),
      { numRuns: RUNS.pkiOperation, seed: SEED },
    );
    tried['pkiOperationBytes'] = details.numRuns;
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
    expect(details.numRuns).toBe(RUNS.pkiOperation);
    // Some mutations land after the outer structure was read: those must come back as answerable refusals.
    expect(scepFailures).toBeGreaterThan(0);
  });

  it(`answers arbitrary bytes as a PKIOperation with PkiError only (${RUNS.garbage} runs)`, async () => {
    const details = await fc.check(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x30, 0x80, ...b]))), async (bytes) => {
        await expect(parseScepRequest(Buffer.from(bytes), ca)).rejects.toBeInstanceOf(PkiError);
      }),
      { numRuns: RUNS.garbage, seed: SEED },
    );
    tried['garbageBytes'] = details.numRuns;
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
    expect(details.numRuns).toBe(RUNS.garbage);
  });
});
