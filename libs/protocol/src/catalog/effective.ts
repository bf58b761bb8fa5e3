import combineJson from './combine.json';
import { payloadSpec } from './catalog';
import { CATALOG_FORMAT } from './derive';
import type { CombineCatalogFile, CombineType, KeySpec } from './types';

export type { CombineType } from './types';

// Widened strings again (see catalog.ts); the drift test guarantees the shape.
const combineFile = combineJson as unknown as CombineCatalogFile;
if (combineFile.format !== CATALOG_FORMAT) {
  throw new Error('combine.json was written by another derivation format: run node scripts/build-catalog.mjs');
}
const declarationRules = new Map<string, Map<string, CombineType>>(
  combineFile.declarations.map((d) => [d.type, new Map(d.keys.map((k) => [k.key, k.combine]))]),
);

/** One payload's settings as installed on a device, with where it came from. */
export interface SettingSource {
  profileId: string;
  /** The payload's (or profile's) identifier, to name it in reports. */
  identifier: string;
  payloadType: string;
  settings: Record<string, unknown>;
}

/** How the values of one key merge: Apple's combinetypes, plus `last-wins` where no direction is known. */
export type EffectiveRule =
  | 'boolean-and'
  | 'boolean-or'
  | 'number-min'
  | 'number-max'
  | 'set-union'
  | 'set-intersection'
  | 'last-wins';

export interface EffectiveKey {
  key: string;
  value: unknown;
  /** The source whose value is the result (for sets: one whose own list equals the result, else the first). */
  decidedBy: { profileId: string; identifier: string };
  rule: EffectiveRule;
  /** Every source's value, in input order. */
  values: Array<{ profileId: string; identifier: string; value: unknown }>;
  /** The sources disagree (always reported; under `last-wins` the result is then arbitrary). */
  conflict: boolean;
}

export interface EffectiveSettings {
  payloadType: string;
  keys: EffectiveKey[];
}

/** Where a rule comes from, for documentation and tests. */
export interface KeyRule {
  rule: EffectiveRule;
  /** `schema`: a declarative key's combinetype; `name`: the key's type and name; `unknown`: no direction known. */
  basis: 'schema' | 'name' | 'unknown';
  /** The declarative configuration key the rule was read from (`com.apple.configuration.passcode.settings:MinimumLength`). */
  schemaKey?: string;
}

const RESTRICTIONS = 'com.apple.applicationaccess';
const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';
const PASSCODE_DECLARATION = 'com.apple.configuration.passcode.settings';
const SOFTWARE_UPDATE_DECLARATION = 'com.apple.configuration.softwareupdate.settings';

/** Payload types whose settings iOS merges across profiles (most restrictive wins). */
export const COMBINABLE_PAYLOAD_TYPES: readonly string[] = [RESTRICTIONS, PASSCODE];

interface DeclarationKey {
  declaration: string;
  key: string;
  /** The profile key means the opposite of the declarative one (allowSimple vs RequireComplexPasscode). */
  inverted?: true;
}

/**
 * Profile keys with a declarative counterpart, whose combinetype then gives the direction. The pairing is
 * ours (Apple documents them separately); the direction is Apple's.
 */
const DECLARATIVE_COUNTERPARTS: Record<string, Record<string, DeclarationKey>> = {
  [PASSCODE]: {
    forcePIN: { declaration: PASSCODE_DECLARATION, key: 'RequirePasscode' },
    requireAlphanumeric: { declaration: PASSCODE_DECLARATION, key: 'RequireAlphanumericPasscode' },
    // allowSimple true permits 1234 / ABCD; RequireComplexPasscode true forbids them.
    allowSimple: { declaration: PASSCODE_DECLARATION, key: 'RequireComplexPasscode', inverted: true },
    minLength: { declaration: PASSCODE_DECLARATION, key: 'MinimumLength' },
    minComplexChars: { declaration: PASSCODE_DECLARATION, key: 'MinimumComplexCharacters' },
    maxFailedAttempts: { declaration: PASSCODE_DECLARATION, key: 'MaximumFailedAttempts' },
    minutesUntilFailedLoginReset: { declaration: PASSCODE_DECLARATION, key: 'FailedAttemptsResetInMinutes' },
    maxGracePeriod: { declaration: PASSCODE_DECLARATION, key: 'MaximumGracePeriodInMinutes' },
    maxInactivity: { declaration: PASSCODE_DECLARATION, key: 'MaximumInactivityInMinutes' },
    maxPINAgeInDays: { declaration: PASSCODE_DECLARATION, key: 'MaximumPasscodeAgeInDays' },
    pinHistory: { declaration: PASSCODE_DECLARATION, key: 'PasscodeReuseLimit' },
    changeAtNextAuth: { declaration: PASSCODE_DECLARATION, key: 'ChangeAtNextAuth' },
  },
  [RESTRICTIONS]: {
    // Software update deferrals: the declarative settings keep the longest deferral.
    enforcedSoftwareUpdateDelay: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'Deferrals.CombinedPeriodInDays' },
    enforcedSoftwareUpdateMajorOSDeferredInstallDelay: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'Deferrals.MajorPeriodInDays' },
    enforcedSoftwareUpdateMinorOSDeferredInstallDelay: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'Deferrals.MinorPeriodInDays' },
    enforcedSoftwareUpdateNonOSDeferredInstallDelay: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'Deferrals.SystemPeriodInDays' },
    allowRapidSecurityResponseInstallation: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'RapidSecurityResponse.Enable' },
    allowRapidSecurityResponseRemoval: { declaration: SOFTWARE_UPDATE_DECLARATION, key: 'RapidSecurityResponse.EnableRollback' },
  },
};

const RATING_KEYS = new Set(['ratingApps', 'ratingMovies', 'ratingTVShows']);

function invert(rule: CombineType): CombineType {
  if (rule === 'boolean-or') return 'boolean-and';
  if (rule === 'boolean-and') return 'boolean-or';
  if (rule === 'number-min') return 'number-max';
  if (rule === 'number-max') return 'number-min';
  return rule;
}

/** The combinetypes iOS-side merging can carry out on profile values; the others (enum-*, first, array-append) need data profiles lack. */
function asEffectiveRule(rule: CombineType): EffectiveRule | undefined {
  switch (rule) {
    case 'boolean-and':
    case 'boolean-or':
    case 'number-min':
    case 'number-max':
    case 'set-union':
    case 'set-intersection':
      return rule;
    case 'enum-first':
    case 'enum-last':
    case 'first':
    case 'array-append':
      return undefined;
  }
}

/**
 * Restrictions from a key's catalog type and name, as iOS merges them: `allow*` booleans (also
 * `safariAllow*`) keep false; other booleans (`force*`, `require*`, `safariForce*`) keep true; content
 * ratings and Safari's cookie policy keep the lower value; allow-lists intersect; block-lists unite.
 * Everything else (ratingRegion, unknown keys) is `last-wins`.
 */
function restrictionRule(key: string, spec: KeySpec | undefined): EffectiveRule | undefined {
  const type = spec?.type;
  if (type === 'boolean') return key.startsWith('allow') || /^[a-z]+Allow/.test(key) ? 'boolean-and' : 'boolean-or';
  if (type === 'integer' || type === 'real') {
    if (RATING_KEYS.has(key)) return 'number-min';
    // 0 never accepts cookies, 2 always: lower is stricter.
    if (key === 'safariAcceptCookies') return 'number-min';
    // Touch ID re-authentication timeout: a shorter one asks for the passcode sooner.
    if (key === 'enforcedFingerprintTimeout') return 'number-min';
    return undefined;
  }
  if (type === 'array') {
    if (/^(?:whitelisted|allowListed)|Permitted/.test(key)) return 'set-intersection';
    if (/^(?:blacklisted|blocked)/.test(key)) return 'set-union';
  }
  return undefined;
}

/** The rule for one key of a combinable payload type, or undefined when the type is not combined. */
export function combineRuleFor(payloadType: string, key: string): KeyRule | undefined {
  if (!COMBINABLE_PAYLOAD_TYPES.includes(payloadType)) return undefined;
  const counterpart = DECLARATIVE_COUNTERPARTS[payloadType]?.[key];
  if (counterpart) {
    const combine = declarationRules.get(counterpart.declaration)?.get(counterpart.key);
    const rule = combine && asEffectiveRule(counterpart.inverted ? invert(combine) : combine);
    if (rule) return { rule, basis: 'schema', schemaKey: `${counterpart.declaration}:${counterpart.key}` };
  }
  if (payloadType === RESTRICTIONS) {
    const rule = restrictionRule(key, payloadSpec(RESTRICTIONS)?.keys.find((k) => k.key === key));
    if (rule) return { rule, basis: 'name' };
  }
  return { rule: 'last-wins', basis: 'unknown' };
}

/**
 * What a device enforces when several profiles carry restrictions or passcode payloads: per key, the
 * most restrictive value (Apple's combinetype where the declarative schema has one, the key's name and type
 * otherwise), who decided it, and whether the sources disagree. Keys whose direction is unknown take the
 * last source's value (input order: pass sources in installation order) and are flagged when they conflict.
 * Values of the wrong type for the rule (a string where a boolean belongs) are listed but do not take part.
 * One entry per combinable payload type present, sorted by type; keys sorted by name.
 */
export function effectiveSettings(sources: readonly SettingSource[]): EffectiveSettings[] {
  const byType = new Map<string, Map<string, EffectiveKey['values']>>();
  for (const source of sources) {
    if (!COMBINABLE_PAYLOAD_TYPES.includes(source.payloadType)) continue;
    let keys = byType.get(source.payloadType);
    if (!keys) byType.set(source.payloadType, (keys = new Map()));
    for (const [key, value] of Object.entries(source.settings)) {
      if (value === undefined) continue;
      let values = keys.get(key);
      if (!values) keys.set(key, (values = []));
      values.push({ profileId: source.profileId, identifier: source.identifier, value });
    }
  }
  return [...byType.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([payloadType, keys]) => ({
      payloadType,
      keys: [...keys.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, values]) => combineKey(key, (combineRuleFor(payloadType, key) ?? { rule: 'last-wins' }).rule, values)),
    }));
}

type Values = EffectiveKey['values'];

function combineKey(key: string, rule: EffectiveRule, values: Values): EffectiveKey {
  const distinct = new Set(values.map((v) => canonical(v.value)));
  const conflict = distinct.size > 1;
  const decided = decide(rule, values);
  if (!decided) {
    // No value fits the rule (all of the wrong type): fall back to the last one, flagged if they differ.
    const last = values[values.length - 1];
    return { key, value: last.value, decidedBy: who(last), rule: 'last-wins', values, conflict };
  }
  return { key, value: decided.value, decidedBy: who(decided.by), rule, values, conflict };
}

function who(v: Values[number]): { profileId: string; identifier: string } {
  return { profileId: v.profileId, identifier: v.identifier };
}

function decide(rule: EffectiveRule, values: Values): { value: unknown; by: Values[number] } | undefined {
  switch (rule) {
    case 'boolean-and':
    case 'boolean-or': {
      const bools = values.filter((v) => typeof v.value === 'boolean');
      if (bools.length === 0) return undefined;
      // AND: any false makes it false; OR: any true makes it true. The first source to say so decides.
      const winning = rule === 'boolean-and' ? false : true;
      const by = bools.find((v) => v.value === winning) ?? bools[0];
      return { value: by.value, by };
    }
    case 'number-min':
    case 'number-max': {
      const numbers = values.filter((v) => typeof v.value === 'number' && Number.isFinite(v.value));
      if (numbers.length === 0) return undefined;
      let by = numbers[0];
      for (const v of numbers) {
        const n = v.value as number;
        const best = by.value as number;
        if (rule === 'number-min' ? n < best : n > best) by = v;
      }
      return { value: by.value, by };
    }
    case 'set-union':
    case 'set-intersection': {
      const lists = values.filter((v) => Array.isArray(v.value));
      if (lists.length === 0) return undefined;
      const arrays = lists.map((v) => v.value as unknown[]);
      let result: unknown[];
      if (rule === 'set-union') {
        result = [];
        const seen = new Set<string>();
        for (const item of arrays.flat()) {
          const c = canonical(item);
          if (!seen.has(c)) {
            seen.add(c);
            result.push(item);
          }
        }
      } else {
        const others = arrays.slice(1).map((a) => new Set(a.map(canonical)));
        const seen = new Set<string>();
        result = arrays[0].filter((item) => {
          const c = canonical(item);
          if (seen.has(c) || !others.every((o) => o.has(c))) return false;
          seen.add(c);
          return true;
        });
      }
      const key = canonicalSet(result);
      const by = lists.find((v) => canonicalSet(v.value as unknown[]) === key) ?? lists[0];
      return { value: result, by };
    }
    case 'last-wins': {
      const by = values[values.length - 1];
      return { value: by.value, by };
    }
  }
}

/** A comparable text for plist-like values: object keys sorted, Buffers and Dates told apart from strings. */
function canonical(value: unknown): string {
  if (Buffer.isBuffer(value)) return `data:${value.toString('base64')}`;
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

function canonicalSet(items: unknown[]): string {
  return [...new Set(items.map(canonical))].sort().join('\n');
}
