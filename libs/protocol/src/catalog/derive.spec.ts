import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deriveCatalogs, deriveCombineRules, deriveInventoryCatalog, formatCatalogJson, parseSchemaRelease, type SchemaFile } from './derive';
import type { KeySpec } from './types';
import { describeWithShared, itWithShared, sharedPath } from '../../../../test/support/shared-checkout';

const SCHEMA = sharedPath('apple-device-management');
const README = '## OS Versions\n\n| OS | Version |\n|----|----|\n| iOS | 18.1 |\n| macOS | 15.1 |\n\n## Other\n| iOS | 1.0 |\n';

function readDir(dir: string): SchemaFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, doc: parseYaml(fs.readFileSync(path.join(dir, name), 'utf8')) as unknown }));
}

function catalogText(name: string): string {
  return fs.readFileSync(path.join(__dirname, name), 'utf8');
}

/** Type names whose entries differ between two catalog texts, plus those only one side has. */
function differing<T>(committed: T[], derived: T[], id: (e: T) => string): string[] {
  const before = new Map(committed.map((e) => [id(e), JSON.stringify(e)]));
  const after = new Map(derived.map((e) => [id(e), JSON.stringify(e)]));
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
}

describeWithShared(path.join(SCHEMA, 'mdm/profiles'))('committed catalogs against Apple schema (drift)', () => {
  it('payloads.json and commands.json are what scripts/build-catalog.mjs derives today', () => {
    const derived = deriveCatalogs({
      readme: fs.readFileSync(path.join(SCHEMA, 'README.md'), 'utf8'),
      profiles: readDir(path.join(SCHEMA, 'mdm/profiles')),
      commands: readDir(path.join(SCHEMA, 'mdm/commands')),
    });
    const problems: string[] = [];
    for (const [file, derivedValue] of [
      ['payloads.json', derived.payloads],
      ['commands.json', derived.commands],
    ] as const) {
      const text = catalogText(file);
      if (text === formatCatalogJson(derivedValue)) continue;
      const committed: unknown = JSON.parse(text);
      const diff =
        'payloads' in derivedValue
          ? differing((committed as typeof derivedValue).payloads ?? [], derivedValue.payloads, (p) => p.type)
          : differing((committed as typeof derivedValue).commands ?? [], derivedValue.commands, (c) => c.requestType);
      problems.push(`${file} differs${diff.length ? ` for ${diff.join(', ')}` : ' (header or layout)'}`);
    }
    if (problems.length > 0) {
      throw new Error(`${problems.join('; ')}. Regenerate with: node scripts/build-catalog.mjs`);
    }
  });

  it('combine.json holds the combinetype rules the declarative configurations carry today', () => {
    const derived = deriveCombineRules({
      readme: fs.readFileSync(path.join(SCHEMA, 'README.md'), 'utf8'),
      declarations: readDir(path.join(SCHEMA, 'declarative/declarations/configurations')),
    });
    const text = catalogText('combine.json');
    if (text === formatCatalogJson(derived)) return;
    const committed = JSON.parse(text) as typeof derived;
    const diff = differing(committed.declarations ?? [], derived.declarations, (d) => d.type);
    throw new Error(
      `combine.json differs${diff.length ? ` for ${diff.join(', ')}` : ' (header or layout)'}. Regenerate with: node scripts/build-catalog.mjs`,
    );
  });
});

describe('committed inventory catalog against Apple schema (drift)', () => {
  itWithShared(path.join(SCHEMA, 'mdm/commands'))('inventory.json holds the iOS DeviceInformation queries Apple lists today', () => {
    const derived = deriveInventoryCatalog({
      readme: fs.readFileSync(path.join(SCHEMA, 'README.md'), 'utf8'),
      commands: readDir(path.join(SCHEMA, 'mdm/commands')),
    });
    const text = catalogText('inventory.json');
    if (text === formatCatalogJson(derived)) return;
    const committed = JSON.parse(text) as typeof derived;
    const diff = differing(committed.deviceInformation ?? [], derived.deviceInformation, (q) => q.query);
    throw new Error(`inventory.json differs${diff.length ? ` for ${diff.join(', ')}` : ' (header or layout)'}. Regenerate with: node scripts/build-catalog.mjs`);
  });
});

describe('deriveInventoryCatalog', () => {
  const command = (payloadkeys: unknown, responsekeys: unknown): SchemaFile => ({
    name: 'information.device.yaml',
    doc: { payload: { requesttype: 'DeviceInformation' }, payloadkeys, responsekeys },
  });

  it('keeps the queries iOS answers, typed by their response key, and drops other platforms and removed ones', () => {
    const queries = [{ key: 'Queries', subkeys: [{ key: 'QueriesItem', subkeys: [
      { key: 'OSVersion', type: '<string>' },
      { key: 'MacOnly', type: '<string>', supportedOS: { iOS: { introduced: 'n/a' } } },
      { key: 'Gone', type: '<string>', supportedOS: { iOS: { removed: '5.0' } } },
      { key: 'Capacity', type: '<string>', supportedOS: { iOS: { introduced: 7.0, deprecated: '16.0', supervised: true } } },
    ] }] }];
    const responses = [{ key: 'QueryResponses', subkeys: [{ key: 'OSVersion', type: '<string>' }, { key: 'Capacity', type: '<real>' }] }];
    expect(deriveInventoryCatalog({ readme: README, commands: [command(queries, responses)] }).deviceInformation).toEqual([
      { query: 'OSVersion', type: 'string' },
      { query: 'Capacity', type: 'real', iosIntroduced: '7', iosDeprecated: '16.0', supervised: true },
    ]);
  });

  it('refuses a schema without the command or without queries rather than writing an empty catalog', () => {
    expect(() => deriveInventoryCatalog({ readme: README, commands: [] })).toThrow(/no DeviceInformation/);
    expect(() => deriveInventoryCatalog({ readme: README, commands: [command([], [])] })).toThrow(/lists no iOS query/);
  });
});

describe('deriveCombineRules', () => {
  const declaration = (type: string, payloadkeys: unknown[]): SchemaFile => ({
    name: `${type}.yaml`,
    doc: { title: type, payload: { declarationtype: type }, payloadkeys },
  });

  it('keeps keys with a combinetype, nested ones as dotted paths, and drops declarations without any', () => {
    const out = deriveCombineRules({
      readme: README,
      declarations: [
        declaration('com.example.z', [
          { key: 'Flag', type: '<boolean>', combinetype: 'boolean-or' },
          { key: 'Plain', type: '<string>' },
          { key: 'Group', type: '<dictionary>', subkeys: [{ key: 'Days', type: '<integer>', combinetype: 'number-max' }] },
        ]),
        declaration('com.example.none', [{ key: 'Plain', type: '<string>' }]),
        declaration('com.example.a', [{ key: 'List', type: '<array>', combinetype: 'set-union' }]),
      ],
    });
    expect(out).toEqual({
      format: 1,
      schemaRelease: { iOS: '18.1', macOS: '15.1' },
      declarations: [
        { type: 'com.example.a', keys: [{ key: 'List', combine: 'set-union' }] },
        {
          type: 'com.example.z',
          keys: [
            { key: 'Flag', combine: 'boolean-or' },
            { key: 'Group.Days', combine: 'number-max' },
          ],
        },
      ],
    });
  });

  it('refuses a combinetype outside the documented vocabulary instead of guessing a direction', () => {
    expect(() =>
      deriveCombineRules({ readme: README, declarations: [declaration('com.example.x', [{ key: 'K', combinetype: 'most-strict' }])] }),
    ).toThrow('com.example.x K: unknown combinetype most-strict');
  });
});

describe('deriveCatalogs', () => {
  const payload = (ios: object | undefined, payloadkeys: unknown[], type = 'com.example.thing'): SchemaFile => ({
    name: `${type}.yaml`,
    doc: {
      title: 'Thing',
      payload: { payloadtype: type, supportedOS: { iOS: ios, macOS: { introduced: '10.7' } } },
      payloadkeys,
    },
  });
  const derivePayloads = (...profiles: SchemaFile[]) => deriveCatalogs({ readme: README, profiles, commands: [] }).payloads;

  it('keeps only what iOS supports, and reads the release from the OS table alone', () => {
    const out = derivePayloads(
      payload({ introduced: '4.0', multiple: true }, [], 'com.example.b'),
      payload({ introduced: 'n/a' }, [], 'com.example.mac'),
      payload(undefined, [], 'com.example.none'),
      payload({ introduced: '17.0', supervised: true, userenrollment: { mode: 'forbidden' } }, [], 'com.example.a'),
    );
    expect(out.schemaRelease).toEqual({ iOS: '18.1', macOS: '15.1' });
    expect(out.payloads).toEqual([
      { type: 'com.example.a', title: 'Thing', iosIntroduced: '17.0', supervised: true, multiple: false, userEnrollment: 'forbidden', keys: [] },
      { type: 'com.example.b', title: 'Thing', iosIntroduced: '4.0', supervised: false, multiple: true, keys: [] },
    ]);
  });

  it('lets keys inherit the payload iOS facts and records only what they change', () => {
    const [spec] = derivePayloads(
      payload({ introduced: '7.0' }, [
        { key: 'Plain', type: '<integer>', presence: 'required', range: { min: 1, max: 5 }, default: 2, content: 'long text' },
        { key: 'Newer', type: '<boolean>', supportedOS: { iOS: { introduced: '16.0', supervised: true }, macOS: {} } },
        { key: 'MacOnly', type: '<string>', supportedOS: { iOS: { introduced: 'n/a' } }, subkeys: [{ key: 'x', type: '<string>' }] },
        { key: 'Odd', type: '<weird>' },
      ]),
    ).payloads;
    expect(spec.keys).toEqual<KeySpec[]>([
      { key: 'Plain', type: 'integer', presence: 'required', default: 2, range: { min: 1, max: 5 } },
      { key: 'Newer', type: 'boolean', presence: 'optional', iosIntroduced: '16.0', supervised: true },
      { key: 'MacOnly', type: 'string', presence: 'optional', ios: false },
      { key: 'Odd', type: 'any', presence: 'optional' },
    ]);
  });

  it('turns a recursive (anchored) structure into a reference instead of looping', () => {
    const icon: Record<string, unknown> = { key: 'Icon', type: '<dictionary>' };
    const items = [icon];
    icon.subkeys = [{ key: 'Children', type: '<array>', subkeys: items }];
    const [spec] = derivePayloads(payload({ introduced: '9.0' }, [{ key: 'Icons', type: '<array>', subkeys: items }])).payloads;
    expect(spec.keys[0].subkeys?.[0].subkeys?.[0]).toEqual({ key: 'Children', type: 'array', presence: 'optional', subkeysOf: 2 });
  });

  it('prefers the file named after a type Apple describes twice', () => {
    const general = payload({ introduced: '13.0' }, [{ key: 'General', type: '<string>' }], 'com.example.sso');
    const variant = { ...payload({ introduced: '13.0' }, [{ key: 'Variant', type: '<string>' }], 'com.example.sso'), name: 'com.example.sso(kerberos).yaml' };
    expect(derivePayloads(variant, general).payloads[0].keys[0].key).toBe('General');
    expect(derivePayloads(general, variant).payloads[0].keys[0].key).toBe('General');
  });

  it('derives commands with their response flag and DEP requirement', () => {
    const out = deriveCatalogs({
      readme: README,
      profiles: [],
      commands: [
        {
          name: 'x.yaml',
          doc: {
            title: 'Configured',
            payload: { requesttype: 'Configured', supportedOS: { iOS: { introduced: '9.0', supervised: true, requiresdep: true, accessrights: 'None' } } },
            responsekeys: [{ key: 'Answer', type: '<string>' }],
          },
        },
      ],
    }).commands;
    expect(out.commands).toEqual([
      { requestType: 'Configured', title: 'Configured', iosIntroduced: '9.0', supervised: true, returnsData: true, requiresDep: true, accessRights: 'None', keys: [] },
    ]);
  });

  it('refuses a README without an iOS row', () => {
    expect(() => parseSchemaRelease('# nothing here')).toThrow('no iOS row');
  });

  it('formats deterministically, short things on one line', () => {
    const text = formatCatalogJson({ a: [1, 2], long: Array.from({ length: 40 }, (_, i) => `value-${i}`) });
    expect(text.split('\n')[1]).toBe('  "a": [1,2],');
    expect(JSON.parse(text)).toEqual({ a: [1, 2], long: Array.from({ length: 40 }, (_, i) => `value-${i}`) });
    expect(text.endsWith('\n')).toBe(true);
  });
});
