import * as fs from 'fs';
import * as path from 'path';
import { ProtocolError } from './errors';
import { parsePlist, parsePlistDict } from './plist';
import { buildPlist } from './plist-writer';
import type { PlistDict, PlistValue } from './plist-value';
import { describeWithShared, sharedPath } from '../../../test/support/shared-checkout';

const FIXTURES = sharedPath('fixtures/nanomdm');
const withFixtures = describeWithShared(FIXTURES);

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';
const wrap = (inner: string) => `${HEADER}<plist version="1.0">${inner}</plist>`;

function listPlists(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listPlists(full);
    return entry.name.endsWith('.plist') ? [full] : [];
  });
}

/** Asserts a ProtocolError (and nothing else) whose message matches. */
function expectRefusal(fn: () => unknown, message: RegExp): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).message).toMatch(message);
  return caught as ProtocolError;
}

withFixtures('device plists (nanomdm fixtures)', () => {
  const files = fs.existsSync(FIXTURES) ? listPlists(FIXTURES) : [];

  it('finds the fixture plists', () => {
    expect(files.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['Authenticate.1.plist', 'TokenUpdate.1.plist', 'DeviceInformation.1.plist', 'idle.body.plist']),
    );
  });

  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('parses %s into a dict', (_name, file) => {
    const dict = parsePlistDict(fs.readFileSync(file));
    expect(Object.keys(dict).length).toBeGreaterThan(0);
  });

  it('decodes <data> into a Buffer and keeps strings and booleans', () => {
    const dict = parsePlistDict(fs.readFileSync(path.join(FIXTURES, 'TokenUpdate.1.plist')));
    expect(Buffer.isBuffer(dict.Token)).toBe(true);
    expect((dict.Token as Buffer).toString('hex')).toBe('47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51');
    expect(dict.AwaitingConfiguration).toBe(false);
    expect(dict.PushMagic).toBe('CEFDF0BD-E342-4A27-8742-E930EA116B0A');
  });

  it('parses the same bytes given as a string', () => {
    const file = path.join(FIXTURES, 'Authenticate.2.plist');
    expect(parsePlist(fs.readFileSync(file, 'utf8'))).toEqual(parsePlist(fs.readFileSync(file)));
  });

  it('throws nothing but ProtocolError for truncated or corrupted device plists', () => {
    const original = fs.readFileSync(path.join(FIXTURES, 'TokenUpdate.1.plist'));
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const variants: Buffer[] = [];
    for (let cut = 0; cut < original.length; cut += 37) variants.push(original.subarray(0, cut));
    for (let n = 0; n < 300; n++) {
      const copy = Buffer.from(original);
      for (let k = 0; k < 3; k++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      variants.push(copy);
    }
    let refused = 0;
    for (const variant of variants) {
      try {
        parsePlist(variant);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        refused++;
      }
    }
    // Most truncations must be refused; if none were, the parser is accepting garbage.
    expect(refused).toBeGreaterThan(variants.length / 3);
  });
});

describe('buildPlist / parsePlist round trip', () => {
  const value: PlistDict = {
    string: 'plain',
    escaped: 'a < b && c > d "quoted" \'single\' ]]>',
    unicode: 'Zürich 東京 🍎',
    empty: '',
    zero: 0,
    negative: -42,
    maxSafe: Number.MAX_SAFE_INTEGER,
    real: 1.5,
    negativeReal: -0.25,
    tiny: 1e-7,
    yes: true,
    no: false,
    bytes: Buffer.from([0, 1, 2, 253, 254, 255]),
    noBytes: Buffer.alloc(0),
    when: new Date('2024-01-31T12:34:56Z'),
    list: [1, 'two', [3, [4]], { five: 5 }],
    emptyList: [],
    nested: { deeper: { deepest: { bytes: Buffer.from('hi'), at: new Date('2001-01-01T00:00:00Z') } } },
    emptyDict: {},
  };

  it('gives back the same value', () => {
    expect(parsePlist(buildPlist(value))).toEqual(value);
  });

  it('keeps types: integer vs real, Buffer, Date', () => {
    const back = parsePlistDict(buildPlist(value));
    expect(Buffer.isBuffer(back.bytes)).toBe(true);
    expect(back.when).toBeInstanceOf(Date);
    expect((back.when as Date).toISOString()).toBe('2024-01-31T12:34:56.000Z');
    expect(Number.isInteger(back.negative)).toBe(true);
    expect(back.real).toBe(1.5);
  });

  it('round-trips top-level values that are not dicts', () => {
    const values: PlistValue[] = ['text', 7, 2.5, true, [], Buffer.from('x'), new Date('1999-12-31T23:59:59Z')];
    for (const v of values) expect(parsePlist(buildPlist(v))).toEqual(v);
  });

  it('writes the Apple header and the right element for each type', () => {
    const xml = buildPlist({ i: 42, r: 1.5, d: Buffer.from('apple'), t: new Date('2024-01-31T12:00:00.000Z'), b: true });
    expect(xml.startsWith(`${HEADER}<plist version="1.0">\n<dict>`)).toBe(true);
    expect(xml).toContain('<integer>42</integer>');
    expect(xml).toContain('<real>1.5</real>');
    expect(xml).toContain('<data>YXBwbGU=</data>');
    expect(xml).toContain('<date>2024-01-31T12:00:00Z</date>');
    expect(xml).toContain('<true/>');
    expect(xml.trimEnd().endsWith('</plist>')).toBe(true);
  });

  it('writes huge integers without exponent notation', () => {
    expect(buildPlist(1e21)).toContain('<integer>1000000000000000000000</integer>');
  });

  it('escapes markup in strings and keys', () => {
    const xml = buildPlist({ '<k&>': '</string><true/>' });
    expect(xml).toContain('<key>&lt;k&amp;&gt;</key>');
    expect(parsePlist(xml)).toEqual({ '<k&>': '</string><true/>' });
  });

  it('refuses what a plist cannot carry, naming the path', () => {
    expect(expectRefusal(() => buildPlist({ a: { b: NaN } }), /a\.b is NaN/).key).toBe('a.b');
    expectRefusal(() => buildPlist([Infinity]), /\[0\] is Infinity/);
    expectRefusal(() => buildPlist({ d: new Date('nope') }), /d is an invalid date/);
    expectRefusal(() => buildPlist({ s: 'bell\u0007' }), /s contains a character XML cannot carry/);
    expectRefusal(() => buildPlist({ s: 'half \ud83c surrogate' }), /character XML cannot carry/);
    expectRefusal(() => buildPlist({ n: null as unknown as PlistValue }), /n is null/);
    const cyclic: PlistDict = {};
    cyclic.self = cyclic;
    expectRefusal(() => buildPlist(cyclic), /self refers back to itself/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(parsePlist(buildPlist({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});

describe('parsePlist accepts', () => {
  it('CDATA, character references and comments', () => {
    expect(parsePlist(wrap('<!-- hi --><dict><key>a&amp;b</key><string>&#x41;&lt;<![CDATA[<raw>]]></string></dict>'))).toEqual({
      'a&b': 'A<<raw>',
    });
  });

  it('no XML declaration or DOCTYPE, and a UTF-8 BOM', () => {
    expect(parsePlist('<plist><true/></plist>')).toBe(true);
    expect(parsePlist(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<plist><false/></plist>')]))).toBe(false);
  });

  it('hex and signed integers, exponent reals, dates with fractions', () => {
    expect(parsePlist(wrap('<array><integer>0x1F</integer><integer>-7</integer><integer>+3</integer></array>'))).toEqual([31, -7, 3]);
    expect(parsePlist(wrap('<real>-2.5e3</real>'))).toBe(-2500);
    expect(parsePlist(wrap('<date>2024-01-31T12:00:00.250Z</date>'))).toEqual(new Date('2024-01-31T12:00:00.250Z'));
  });

  it('a document at exactly the limits', () => {
    // <plist> + 30 arrays + <true/> = 32 levels.
    const deep = `<plist>${'<array>'.repeat(30)}<true/>${'</array>'.repeat(30)}</plist>`;
    expect(() => parsePlist(deep)).not.toThrow();
    const wide = `<plist><array>${'<true/>'.repeat(99_998)}</array></plist>`;
    expect((parsePlist(wide) as PlistValue[]).length).toBe(99_998);
  });

  it('elements inside comments and CDATA do not count towards the limits', () => {
    const xml = `<plist><!-- ${'<array>'.repeat(100)} --><string><![CDATA[${'<a>'.repeat(100)}]]></string></plist>`;
    expect(parsePlist(xml, { maxDepth: 3, maxElements: 5 })).toBe('<a>'.repeat(100));
  });
});

describe('parsePlist refuses', () => {
  it('an empty body', () => {
    expectRefusal(() => parsePlist(''), /empty body/);
    expectRefusal(() => parsePlist(Buffer.alloc(0)), /empty body/);
    expectRefusal(() => parsePlist(' \n\t '), /empty body/);
  });

  it('binary plists', () => {
    const binary = Buffer.concat([Buffer.from('bplist00'), Buffer.from([0xd0, 0x08, 0, 0, 0, 0, 0, 0, 1, 1])]);
    expectRefusal(() => parsePlist(binary), /binary plists are not accepted; send XML/);
    expectRefusal(() => parsePlist('bplist00\u00d0'), /binary plists are not accepted; send XML/);
  });

  it('entity declarations (XXE)', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><plist><string>&xxe;</string></plist>`;
    expectRefusal(() => parsePlist(xxe), /entity declarations/);
  });

  it('billion laughs', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
      ']>',
      '<plist><string>&lol9;</string></plist>',
    ].join('\n');
    expectRefusal(() => parsePlist(lol), /entity declarations/);
  });

  it('unterminated DOCTYPE declarations in linear time', () => {
    // Quadratic if each declaration is scanned to the end of the body: 450 KB of these would take 85 s.
    const started = Date.now();
    expectRefusal(() => parsePlist(`<!DOCTYPE "`.repeat(50_000)), /malformed XML/);
    expectRefusal(() => parsePlist('<!DOCTYPE'.repeat(50_000)), /malformed XML/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('limits that are not positive integers, as a caller error (RangeError)', () => {
    expect(() => parsePlist('<plist><true/></plist>', { maxDepth: 0 })).toThrow(RangeError);
    expect(() => parsePlist('<plist><true/></plist>', { maxElements: Number.NaN })).toThrow(/maxElements must be a positive integer/);
  });

  it('a DOCTYPE with an internal subset even without entities', () => {
    expectRefusal(() => parsePlist('<!DOCTYPE plist [ <!ELEMENT plist ANY> ]><plist><true/></plist>'), /internal subset/);
    expectRefusal(() => parsePlist('<!DOCTYPE plist PUBLIC "x" "y" [ ]><plist><true/></plist>'), /internal subset/);
  });

  it('XML that is not a plist', () => {
    expectRefusal(() => parsePlist('<html><body>hi</body></html>'), /not a plist: the root element is <html>/);
  });

  it('documents nested too deeply', () => {
    const deep = `<plist>${'<array>'.repeat(31)}<true/>${'</array>'.repeat(31)}</plist>`;
    expectRefusal(() => parsePlist(deep), /nested too deeply: more than 32 levels \(maxDepth\)/);
    const dicts = `<plist>${'<dict><key>k</key>'.repeat(3)}<true/>${'</dict>'.repeat(3)}</plist>`;
    expectRefusal(() => parsePlist(dicts, { maxDepth: 3 }), /nested too deeply: more than 3/);
    // A stack-busting depth is refused by the pre-scan, still as ProtocolError.
    expectRefusal(() => parsePlist(`<plist>${'<array>'.repeat(100000)}`), /nested too deeply/);
  });

  it('documents with too many elements, before building a DOM', () => {
    const wide = `<plist><array>${'<true/>'.repeat(100_000)}</array></plist>`;
    expectRefusal(() => parsePlist(wide), /too many elements: more than 100000 \(maxElements\)/);
    expectRefusal(() => parsePlist(wrap('<array><true/><true/><true/></array>'), { maxElements: 3 }), /too many elements/);
  });

  it('oversized bodies', () => {
    const big = wrap(`<string>${'a'.repeat(10 * 1024 * 1024)}</string>`);
    expectRefusal(() => parsePlist(big), /too large: \d+ bytes, the limit is 10485760 \(maxBytes\)/);
    expectRefusal(() => parsePlist(Buffer.from(big)), /too large/);
    expectRefusal(() => parsePlist(wrap('<string>é</string>'), { maxBytes: 150 }), /too large/);
  });

  it.each([
    ['an unclosed element', '<plist><dict><key>a</key><string>b</string></plist>'],
    ['mismatched tags', '<plist><dict></array></plist>'],
    ['trailing garbage', '<plist><true/></plist>garbage'],
    ['two root elements', '<plist><true/></plist><plist><true/></plist>'],
    ['a truncated document', '<plist><dict><key>a</key><str'],
    ['an undefined entity', '<plist><string>&foo;</string></plist>'],
    ['a bare <', '<plist><string>a < b</string></plist>'],
    ['a bare &', '<plist><string>a & b</string></plist>'],
    ['an unquoted attribute', '<plist version=1.0><true/></plist>'],
    ['plain text', 'hello world'],
    ['JSON', '{"MessageType":"Authenticate"}'],
    ['an OpenStep plist (plist@5 would parse it)', '{ MessageType = Authenticate; }'],
    ['an unterminated comment', '<plist><!-- <true/></plist>'],
  ])('malformed XML: %s', (_name, xml) => {
    expectRefusal(() => parsePlist(xml), /malformed|not a plist/);
  });

  it.each([
    ['an empty <plist>', '<plist></plist>', /exactly one value, found 0/],
    ['two values in <plist>', '<plist><true/><false/></plist>', /exactly one value, found 2/],
    ['a key without a value', '<plist><dict><key>a</key></dict></plist>', /key "a" at the top level has no value/],
    ['a value without a key', '<plist><dict><string>x</string></dict></plist>', /expected <key> in <dict>/],
    ['a duplicate key', '<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>', /duplicate key "a"/],
    ['a __proto__ key', '<plist><dict><key>__proto__</key><dict/></dict></plist>', /"__proto__" is not accepted/],
    ['text inside a dict', '<plist><dict>loose<key>a</key><true/></dict></plist>', /unexpected text inside <dict>/],
    ['an element inside a string', '<plist><string>a<b/></string></plist>', /must hold text/],
    ['a non-numeric integer (plist@5 gives NaN)', '<plist><dict><key>n</key><integer>abc</integer></dict></plist>', /<integer> at n is not an integer: "abc"/],
    ['an empty integer', '<plist><integer></integer></plist>', /not an integer/],
    ['a real that is not a number', '<plist><real>1.2.3</real></plist>', /not a number/],
    ['a bad date', '<plist><date>yesterday</date></plist>', /not an ISO 8601 date/],
    ['an impossible date', '<plist><date>2024-13-45T99:00:00Z</date></plist>', /not an ISO 8601 date/],
    ['bad base64', '<plist><data>!!!!</data></plist>', /<data> at the top level is not base64/],
    ['<null/> (not in Apple plists)', '<plist><array><null/></array></plist>', /unknown element <null>/],
    ['an unknown element', '<plist><dict><key>a</key><foo/></dict></plist>', /unknown element <foo> at a/],
    ['content inside <true/>', '<plist><true><false/></true></plist>', /<true> at the top level must be empty/],
  ])('invalid plist structure: %s', (_name, xml, message) => {
    expectRefusal(() => parsePlist(xml), message);
  });

  it('bodies that are not UTF-8', () => {
    const latin1 = Buffer.concat([Buffer.from('<plist><string>'), Buffer.from([0xe9]), Buffer.from('</string></plist>')]);
    expectRefusal(() => parsePlist(latin1), /not valid UTF-8/);
  });

  it('a top-level value other than a dict, in parsePlistDict', () => {
    expectRefusal(() => parsePlistDict(wrap('<array/>')), /must be a dict, got an array/);
    expectRefusal(() => parsePlistDict(wrap('<string>x</string>')), /must be a dict, got a string/);
  });
});

describe('parsePlist keeps', () => {
  it('U+FFFD, which xmldom only warns about, and line separators written by buildPlist', () => {
    expect(parsePlist('<plist><string>a\uFFFDb</string></plist>')).toBe('a\uFFFDb');
    const value = { 'k\r': 'a\r\nb\u0085c\u2028d\u2029e\uFFFD' };
    expect(parsePlist(buildPlist(value))).toEqual(value);
  });
});
