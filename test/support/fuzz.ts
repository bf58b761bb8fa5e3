import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';

/*
 * What the fast-check fuzz specs share: the seed, a run counter that fails with fast-check's report,
 * the summary file (test-output/fuzz-summary.json) and byte-level damage to an input.
 *
 * Test-only, and outside every Nx project on purpose: the libs/pki and libs/protocol specs import it
 * by relative path without depending on @mdm/testing (tagged type:testing), and tsconfig.build.json,
 * which compiles only the apps' and libs' src folders, never puts it into dist.
 */

const ROOT = path.resolve(__dirname, '../..');
const SUMMARY = path.join(ROOT, 'test-output/fuzz-summary.json');

/** `FUZZ_SEED=<n>` replays a run; otherwise each run picks its own (and writes it to the summary). */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

export interface FuzzRun {
  /** Runs a property `numRuns` times and fails with fast-check's report (seed and counterexample included). */
  check<T>(target: string, property: fc.IProperty<T>, numRuns: number): void;
  checkAsync<T>(target: string, property: fc.IAsyncProperty<T>, numRuns: number): Promise<void>;
}

/**
 * Counts the inputs each target of `specFile` (pass `__filename`) tried and, after the file's tests,
 * merges them into the summary under the spec's path from the repository root. Call it at the top
 * level of a spec.
 */
export function fuzzRun(specFile: string): FuzzRun {
  const tried: Record<string, number> = {};
  const record = <T>(target: string, details: fc.RunDetails<T>, numRuns: number): void => {
    tried[target] = details.numRuns;
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `property ${target} failed`);
    expect(details.numRuns).toBe(numRuns);
  };

  afterAll(() => {
    // Several spec files share the summary (one per worker): merge, don't overwrite.
    fs.mkdirSync(path.dirname(SUMMARY), { recursive: true });
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(fs.readFileSync(SUMMARY, 'utf8')) as Record<string, unknown>;
    } catch {
      /* first writer */
    }
    all[path.relative(ROOT, specFile).split(path.sep).join('/')] = { seed: FUZZ_SEED, runs: tried, at: new Date().toISOString() };
    fs.writeFileSync(SUMMARY, JSON.stringify(all, null, 2) + '\n');
  });

  return {
    check(target, property, numRuns) {
      record(target, fc.check(property, { numRuns, seed: FUZZ_SEED }), numRuns);
    },
    async checkAsync(target, property, numRuns) {
      record(target, await fc.check(property, { numRuns, seed: FUZZ_SEED }), numRuns);
    },
  };
}

/** One piece of damage; `mutate` applies a list of them in order. */
export type ByteMutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array | string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'length'; at: number; value: number };

/**
 * Damage to a DER/BER structure: flips, cuts, insertions, deletions, duplicated slices (unless
 * `repeat: false`) and length octets. The arms' order is part of what a seed replays.
 */
export function derMutation({ repeat = true }: { repeat?: boolean } = {}): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
    ...(repeat
      ? [fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 2, max: 20 }) })]
      : []),
    // Length octets are where BER parsers break: make one huge, indefinite or zero.
    fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x80, 0x84, 0xff, 0x7f) }),
  );
}

/** Plausible damage to text: cut, overwrite a byte, insert one of `fragments`, drop or repeat a slice. */
export function textMutation(fragments: fc.Arbitrary<string>): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fragments }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 50 }) }),
  );
}

/**
 * Applies `mutations` in order, never writing to `input`. Each lands at `at` modulo the current length: on a byte,
 * or with `includeEnd` also after the last one (an append, a cut that keeps everything), as text
 * damage may.
 */
export function mutate(input: Buffer, mutations: readonly ByteMutation[], { includeEnd = false }: { includeEnd?: boolean } = {}): Buffer {
  let out = input;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (includeEnd ? 1 : 0));
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) {
          out = Buffer.from(out);
          out[at % out.length] ^= m.xor;
        }
        break;
      case 'set':
        if (out.length > 0) {
          out = Buffer.from(out);
          out[at % out.length] = m.byte;
        }
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), typeof m.bytes === 'string' ? Buffer.from(m.bytes, 'utf8') : Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'repeat': {
        const slice = out.subarray(at, at + m.length);
        out = Buffer.concat([out.subarray(0, at), ...Array.from({ length: m.times }, () => slice), out.subarray(at + m.length)]);
        break;
      }
      case 'length':
        // The byte after a tag is a length octet; the property does not care if `at` hits a tag.
        if (out.length > 1) {
          out = Buffer.from(out);
          out[(at % (out.length - 1)) + 1] = m.value;
        }
        break;
    }
  }
  return out;
}
