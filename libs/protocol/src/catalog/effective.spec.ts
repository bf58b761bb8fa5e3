import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { payloadSpec } from './catalog';
import { combineRuleFor, effectiveSettings, type EffectiveSettings, type SettingSource } from './effective';
import { describeWithShared, sharedPath } from '../../../../test/support/shared-checkout';

const RESTRICTIONS = 'com.apple.applicationaccess';
const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';
const SCHEMA = sharedPath('apple-device-management');
const PASSCODE_YAML = path.join(SCHEMA, 'declarative/declarations/configurations/passcode.settings.yaml');

const source = (profileId: string, payloadType: string, settings: Record<string, unknown>): SettingSource => ({
  profileId,
  identifier: `com.example.${profileId}`,
  payloadType,
  settings,
});

function keyOf(result: EffectiveSettings[], payloadType: string, key: string) {
  const found = result.find((r) => r.payloadType === payloadType)?.keys.find((k) => k.key === key);
  if (!found) throw new Error(`${payloadType}.${key} not in the result`);
  return found;
}

describe('effectiveSettings: restrictions', () => {
  const result = effectiveSettings([
    source('a', RESTRICTIONS, {
      allowCamera: true,
      forceEncryptedBackup: false,
      ratingApps: 1000,
      whitelistedAppBundleIDs: ['com.app.a', 'com.app.b', 'com.app.c'],
      safariAllowPopups: true,
    }),
    source('b', RESTRICTIONS, {
      allowCamera: false,
      forceEncryptedBackup: true,
      ratingApps: 300,
      whitelistedAppBundleIDs: ['com.app.b', 'com.app.c', 'com.app.d'],
      blockedAppBundleIDs: ['com.bad.x'],
    }),
    source('c', RESTRICTIONS, {
      ratingApps: 600,
      whitelistedAppBundleIDs: ['com.app.c', 'com.app.b'],
      blockedAppBundleIDs: ['com.bad.y', 'com.bad.x'],
      ratingRegion: 'us',
      safariAllowPopups: true,
    }),
    // Not combined: other payload types pass through untouched.
    source('d', 'com.apple.wifi.managed', { SSID_STR: 'x' }),
  ]);

  it('keeps false for allow* keys, naming the profile that said so, and flags the disagreement', () => {
    expect(keyOf(result, RESTRICTIONS, 'allowCamera')).toEqual({
      key: 'allowCamera',
      value: false,
      decidedBy: { profileId: 'b', identifier: 'com.example.b' },
      rule: 'boolean-and',
      values: [
        { profileId: 'a', identifier: 'com.example.a', value: true },
        { profileId: 'b', identifier: 'com.example.b', value: false },
      ],
      conflict: true,
    });
  });

  it('keeps true for force* keys and the lowest rating', () => {
    expect(keyOf(result, RESTRICTIONS, 'forceEncryptedBackup')).toMatchObject({ value: true, rule: 'boolean-or', decidedBy: { profileId: 'b' }, conflict: true });
    expect(keyOf(result, RESTRICTIONS, 'ratingApps')).toMatchObject({ value: 300, rule: 'number-min', decidedBy: { profileId: 'b' }, conflict: true });
  });

  it('intersects allow-lists and unites block-lists', () => {
    expect(keyOf(result, RESTRICTIONS, 'whitelistedAppBundleIDs')).toMatchObject({
      value: ['com.app.b', 'com.app.c'],
      rule: 'set-intersection',
      // c's own list is exactly the result.
      decidedBy: { profileId: 'c' },
      conflict: true,
    });
    expect(keyOf(result, RESTRICTIONS, 'blockedAppBundleIDs')).toMatchObject({
      value: ['com.bad.x', 'com.bad.y'],
      rule: 'set-union',
      decidedBy: { profileId: 'c' },
      conflict: true,
    });
  });

  it('reports agreement and single sources without a conflict, and only combinable types', () => {
    expect(keyOf(result, RESTRICTIONS, 'safariAllowPopups')).toMatchObject({ value: true, rule: 'boolean-and', decidedBy: { profileId: 'a' }, conflict: false });
    expect(keyOf(result, RESTRICTIONS, 'ratingRegion')).toMatchObject({ value: 'us', rule: 'last-wins', decidedBy: { profileId: 'c' }, conflict: false });
    expect(result.map((r) => r.payloadType)).toEqual([RESTRICTIONS]);
    const keys = result[0].keys.map((k) => k.key);
    expect([...keys].sort()).toEqual(keys);
  });

  it('lets the last source win, flagged, where no direction is known', () => {
    const out = effectiveSettings([source('a', RESTRICTIONS, { ratingRegion: 'us' }), source('b', RESTRICTIONS, { ratingRegion: 'de' })]);
    expect(keyOf(out, RESTRICTIONS, 'ratingRegion')).toMatchObject({ value: 'de', rule: 'last-wins', decidedBy: { profileId: 'b' }, conflict: true });
  });

  it('leaves values of the wrong type out of the decision but lists them', () => {
    const out = effectiveSettings([source('a', RESTRICTIONS, { allowCamera: 'no' }), source('b', RESTRICTIONS, { allowCamera: true })]);
    expect(keyOf(out, RESTRICTIONS, 'allowCamera')).toMatchObject({ value: true, rule: 'boolean-and', decidedBy: { profileId: 'b' }, conflict: true });
    expect(keyOf(out, RESTRICTIONS, 'allowCamera').values).toHaveLength(2);
  });

  it('has a rule for every restrictions key in the catalog; only ratingRegion has no known direction', () => {
    const spec = payloadSpec(RESTRICTIONS);
    if (!spec) throw new Error('no restrictions payload in the catalog');
    const unknown = spec.keys.filter((k) => combineRuleFor(RESTRICTIONS, k.key)?.rule === 'last-wins').map((k) => k.key);
    expect(unknown).toEqual(['ratingRegion']);
    expect(combineRuleFor(RESTRICTIONS, 'allowiTunes')?.rule).toBe('boolean-and');
    expect(combineRuleFor(RESTRICTIONS, 'requireManagedPasteboard')?.rule).toBe('boolean-or');
    expect(combineRuleFor(RESTRICTIONS, 'blacklistedAppBundleIDs')?.rule).toBe('set-union');
    expect(combineRuleFor(RESTRICTIONS, 'allowListedAppBundleIDs')?.rule).toBe('set-intersection');
    // From the declarative software-update settings: the longest deferral wins.
    expect(combineRuleFor(RESTRICTIONS, 'enforcedSoftwareUpdateDelay')).toEqual({
      rule: 'number-max',
      basis: 'schema',
      schemaKey: 'com.apple.configuration.softwareupdate.settings:Deferrals.CombinedPeriodInDays',
    });
    expect(combineRuleFor('com.apple.wifi.managed', 'SSID_STR')).toBeUndefined();
  });
});

describe('effectiveSettings: passcode', () => {
  const result = effectiveSettings([
    source('p1', PASSCODE, { forcePIN: false, allowSimple: true, minLength: 6, maxInactivity: 5, requireAlphanumeric: false }),
    source('p2', PASSCODE, { forcePIN: true, allowSimple: false, minLength: 8, maxInactivity: 2, requireAlphanumeric: false }),
  ]);

  it('takes the longest minimum length, no simple passcodes, the shortest auto-lock, and a required passcode', () => {
    expect(keyOf(result, PASSCODE, 'minLength')).toMatchObject({ value: 8, rule: 'number-max', decidedBy: { profileId: 'p2' }, conflict: true });
    expect(keyOf(result, PASSCODE, 'allowSimple')).toMatchObject({ value: false, rule: 'boolean-and', decidedBy: { profileId: 'p2' }, conflict: true });
    expect(keyOf(result, PASSCODE, 'maxInactivity')).toMatchObject({ value: 2, rule: 'number-min', decidedBy: { profileId: 'p2' }, conflict: true });
    expect(keyOf(result, PASSCODE, 'forcePIN')).toMatchObject({ value: true, rule: 'boolean-or', decidedBy: { profileId: 'p2' }, conflict: true });
    expect(keyOf(result, PASSCODE, 'requireAlphanumeric')).toMatchObject({ value: false, decidedBy: { profileId: 'p1' }, conflict: false });
  });

  it('reads every passcode key but customRegex from the declarative schema', () => {
    const spec = payloadSpec(PASSCODE);
    if (!spec) throw new Error('no passcode payload in the catalog');
    const bases = Object.fromEntries(spec.keys.map((k) => [k.key, combineRuleFor(PASSCODE, k.key)?.basis]));
    expect(Object.entries(bases).filter(([, basis]) => basis !== 'schema')).toEqual([['customRegex', 'unknown']]);
  });
});

describeWithShared(PASSCODE_YAML)('combine rules against Apple schema (drift)', () => {
  const file = PASSCODE_YAML;
  it('the passcode directions are the combinetype of passcode.settings.yaml (allowSimple inverted)', () => {
    const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { payloadkeys: Array<{ key: string; combinetype?: string }> };
    const yaml = new Map(doc.payloadkeys.map((k) => [k.key, k.combinetype]));
    const pairs: Array<[string, string, boolean]> = [
      ['forcePIN', 'RequirePasscode', false],
      ['requireAlphanumeric', 'RequireAlphanumericPasscode', false],
      ['allowSimple', 'RequireComplexPasscode', true],
      ['minLength', 'MinimumLength', false],
      ['minComplexChars', 'MinimumComplexCharacters', false],
      ['maxFailedAttempts', 'MaximumFailedAttempts', false],
      ['maxGracePeriod', 'MaximumGracePeriodInMinutes', false],
      ['maxInactivity', 'MaximumInactivityInMinutes', false],
      ['maxPINAgeInDays', 'MaximumPasscodeAgeInDays', false],
      ['pinHistory', 'PasscodeReuseLimit', false],
    ];
    const flip: Record<string, string> = { 'boolean-or': 'boolean-and', 'boolean-and': 'boolean-or' };
    for (const [profileKey, declarativeKey, inverted] of pairs) {
      const combinetype = yaml.get(declarativeKey);
      expect(combinetype).toBeDefined();
      const expected = inverted && combinetype ? flip[combinetype] : combinetype;
      expect([profileKey, combineRuleFor(PASSCODE, profileKey)?.rule]).toEqual([profileKey, expected]);
    }
  });
});
