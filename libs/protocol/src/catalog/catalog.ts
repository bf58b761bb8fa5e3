import commandsJson from './commands.json';
import payloadsJson from './payloads.json';
import { CATALOG_FORMAT } from './derive';
import type { CommandCatalogFile, CommandSpec, KeySpec, PayloadCatalogFile, PayloadSpec, SchemaRelease } from './types';

export type {
  CommandSpec,
  KeySpec,
  KeyType,
  ModeRule,
  PayloadSpec,
  Presence,
  ScalarDefault,
  SchemaRelease,
} from './types';

// TypeScript infers JSON imports with widened strings ("presence": string), which the literal
// unions cannot accept; the drift test is what guarantees the files have this shape.
const payloadFile = payloadsJson as unknown as PayloadCatalogFile;
const commandFile = commandsJson as unknown as CommandCatalogFile;
if (payloadFile.format !== CATALOG_FORMAT || commandFile.format !== CATALOG_FORMAT) {
  throw new Error('catalog JSON was written by another derivation format: run node scripts/build-catalog.mjs');
}

const payloads = new Map<string, PayloadSpec>(payloadFile.payloads.map((p) => [p.type, p]));
const commands = new Map<string, CommandSpec>(commandFile.commands.map((c) => [c.requestType, c]));

/** Apple's OS versions for the schema release the catalog was derived from (e.g. `{ iOS: '18.1' }`). */
export const CATALOG_SCHEMA_RELEASE: Readonly<SchemaRelease> = payloadFile.schemaRelease;
/** iOS/iPadOS payload types, sorted. */
export const PAYLOAD_TYPES: readonly string[] = [...payloads.keys()];
/** iOS/iPadOS command RequestTypes, sorted. */
export const REQUEST_TYPES: readonly string[] = [...commands.keys()];

export function payloadSpec(type: string): PayloadSpec | undefined {
  return payloads.get(type);
}

export function commandSpec(requestType: string): CommandSpec | undefined {
  return commands.get(requestType);
}

export interface CatalogIssue {
  /** Dotted path from the payload type or `command`, with `[i]` for array items. */
  path: string;
  message: string;
}

export interface CatalogReport {
  errors: CatalogIssue[];
  warnings: CatalogIssue[];
}

export interface DeviceFacts {
  /** null: not known yet (no DeviceInformation answer). */
  supervised: boolean | null;
  osVersion: string | null;
}

export type Applicability = { ok: true } | { ok: false; reason: string };

/** Keys the server writes into every payload itself; callers need not send them. */
export const PAYLOAD_ENVELOPE_KEYS: readonly string[] = [
  'PayloadType',
  'PayloadVersion',
  'PayloadIdentifier',
  'PayloadUUID',
  'PayloadDisplayName',
  'PayloadDescription',
  'PayloadOrganization',
];

// Same JSON conventions as jsonToPlistValue in command.ts.
const DATA_KEY = '$data';
const DATE_KEY = '$date';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ANY_KEY = 'ANY';

/**
 * Checks the settings of one payload (its keys besides the envelope) against Apple's schema.
 * Errors are what the device would refuse or misread; warnings are what it would ignore.
 */
export function validatePayloadSettings(type: string, settings: Record<string, unknown>): CatalogReport {
  const report: CatalogReport = { errors: [], warnings: [] };
  const spec = payloads.get(type);
  if (!spec) {
    report.errors.push({ path: type, message: `unknown payload type ${type}` });
    return report;
  }
  if (!isPlainObject(settings)) {
    report.errors.push({ path: type, message: `settings must be an object, got ${jsonKind(settings)}` });
    return report;
  }
  if (settings.PayloadType !== undefined && settings.PayloadType !== type) {
    report.errors.push({ path: `${type}.PayloadType`, message: `must be ${type} or left out` });
  }
  checkKeys(spec.keys, settings, type, [spec.keys], report, new Set(PAYLOAD_ENVELOPE_KEYS));
  return report;
}

/** Checks a command body (`{ RequestType, ...keys }`) against Apple's schema for that command. */
export function validateCommand(command: { RequestType: string; [key: string]: unknown }): CatalogReport {
  const report: CatalogReport = { errors: [], warnings: [] };
  const requestType: unknown = command.RequestType;
  const spec = typeof requestType === 'string' ? commands.get(requestType) : undefined;
  if (!spec) {
    report.errors.push({
      path: 'command.RequestType',
      message: `unknown RequestType ${String(requestType)} (send it raw to bypass)`,
    });
    return report;
  }
  checkKeys(spec.keys, command, 'command', [spec.keys], report, new Set(['RequestType']));
  return report;
}

/** Whether the device can run the command at all. Unknown facts or types pass: the server can't tell. */
export function commandApplicability(requestType: string, device: DeviceFacts): Applicability {
  const spec = commands.get(requestType);
  return spec ? applicability(spec, device) : { ok: true };
}

/** Whether the device can install a payload of this type. Unknown facts or types pass. */
export function payloadApplicability(type: string, device: DeviceFacts): Applicability {
  const spec = payloads.get(type);
  return spec ? applicability(spec, device) : { ok: true };
}

/**
 * Settings of an applicable payload that this device will silently ignore: supervised-only keys on
 * an unsupervised device, keys newer than its iOS, keys iOS does not have. Walks nested dictionaries.
 */
export function ignoredSettings(type: string, settings: Record<string, unknown>, device: DeviceFacts): CatalogIssue[] {
  const spec = payloads.get(type);
  const out: CatalogIssue[] = [];
  if (spec && isPlainObject(settings)) collectIgnored(spec.keys, settings, type, device, out);
  return out;
}

/** Compares dotted OS versions numerically ('17.5' < '17.10'); missing parts count as 0. */
export function compareOsVersions(a: string, b: string): -1 | 0 | 1 {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new RangeError(`not an OS version: ${pa ? b : a}`);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Leading dotted number of an OS version as devices report it ('17.5.1', '18.0 (22A3354)'). */
function parseVersion(v: string): number[] | null {
  const m = /^\s*(\d+(?:\.\d+)*)/.exec(v);
  return m ? m[1].split('.').map(Number) : null;
}

function applicability(
  spec: { supervised: boolean; iosIntroduced: string; iosRemoved?: string },
  device: DeviceFacts,
): Applicability {
  if (spec.supervised && device.supervised === false) return { ok: false, reason: 'requires supervision' };
  const os = device.osVersion;
  if (os === null || !parseVersion(os)) return { ok: true };
  if (compareOsVersions(os, spec.iosIntroduced) < 0) {
    return { ok: false, reason: `requires iOS ${spec.iosIntroduced} (device has ${os})` };
  }
  if (spec.iosRemoved && compareOsVersions(os, spec.iosRemoved) >= 0) {
    return { ok: false, reason: `removed in iOS ${spec.iosRemoved} (device has ${os})` };
  }
  return { ok: true };
}

function collectIgnored(
  keys: KeySpec[],
  value: Record<string, unknown>,
  path: string,
  device: DeviceFacts,
  out: CatalogIssue[],
): void {
  const byName = keyIndex(keys);
  for (const name of Object.keys(value)) {
    const spec = byName.get(name);
    if (!spec) continue;
    const at = `${path}.${name}`;
    if (spec.ios === false) {
      out.push({ path: at, message: 'not supported on iOS' });
      continue;
    }
    const verdict = applicability(
      { supervised: spec.supervised === true, iosIntroduced: spec.iosIntroduced ?? '0', iosRemoved: spec.iosRemoved },
      device,
    );
    if (!verdict.ok) out.push({ path: at, message: verdict.reason });
    else if (spec.type === 'dictionary' && spec.subkeys && isPlainObject(value[name])) {
      collectIgnored(spec.subkeys, value[name], at, device, out);
    }
  }
}

function keyIndex(keys: KeySpec[]): Map<string, KeySpec> {
  return new Map(keys.map((k) => [k.key, k]));
}

/**
 * `scopes` holds the key lists from the payload down to `keys` (its last entry), so a recursive
 * spec (`subkeysOf: n`) can find the list it repeats.
 */
function checkKeys(
  keys: KeySpec[],
  value: Record<string, unknown>,
  path: string,
  scopes: KeySpec[][],
  report: CatalogReport,
  skip: ReadonlySet<string> = new Set(),
): void {
  const byName = keyIndex(keys);
  const wildcard = byName.get(ANY_KEY);
  for (const spec of keys) {
    if (spec.presence === 'required' && spec.ios !== false && spec.key !== ANY_KEY && !skip.has(spec.key)) {
      if (!Object.hasOwn(value, spec.key)) {
        report.errors.push({ path: `${path}.${spec.key}`, message: 'required key is missing' });
      }
    }
  }
  for (const name of Object.keys(value)) {
    if (skip.has(name)) continue;
    const at = `${path}.${name}`;
    const spec = byName.get(name) ?? wildcard;
    if (!spec) {
      report.warnings.push({ path: at, message: 'unknown key; iOS will ignore it' });
    } else if (spec.ios === false) {
      report.warnings.push({ path: at, message: 'not supported on iOS; the device ignores it' });
    } else {
      checkValue(spec, value[name], at, scopes, report);
    }
  }
}

function checkValue(spec: KeySpec, value: unknown, path: string, scopes: KeySpec[][], report: CatalogReport): void {
  const fail = (message: string) => report.errors.push({ path, message });
  if (value === null || value === undefined) {
    fail(`must not be ${jsonKind(value)}: plists have no null`);
    return;
  }
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return void fail(`must be a string, got ${jsonKind(value)}`);
      checkScalar(spec, value, path, report);
      if (spec.knownValues && !spec.knownValues.includes(value)) {
        report.warnings.push({ path, message: `${value} is not a value iOS knows; it will be ignored` });
      }
      if (spec.format && !matchesFormat(spec.format, value)) {
        report.warnings.push({ path, message: `does not match Apple's format ${spec.format}` });
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return void fail(`must be an integer, got ${typeof value === 'number' ? value : jsonKind(value)}`);
      }
      checkScalar(spec, value, path, report);
      return;
    case 'real':
      if (typeof value !== 'number' || !Number.isFinite(value)) return void fail(`must be a number, got ${jsonKind(value)}`);
      checkScalar(spec, value, path, report);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') return void fail(`must be a boolean, got ${jsonKind(value)}`);
      checkScalar(spec, value, path, report);
      return;
    case 'date':
      if (!isWrapped(value, DATE_KEY) || !isIsoDate(value[DATE_KEY])) {
        return void fail(`must be a date as { "${DATE_KEY}": "<ISO 8601>" }, got ${jsonKind(value)}`);
      }
      return;
    case 'data':
      if (!isWrapped(value, DATA_KEY) || typeof value[DATA_KEY] !== 'string' || !STRICT_BASE64.test(value[DATA_KEY])) {
        return void fail(`must be data as { "${DATA_KEY}": "<base64>" }, got ${jsonKind(value)}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) return void fail(`must be an array, got ${jsonKind(value)}`);
      checkArray(spec, value, path, scopes, report);
      return;
    case 'dictionary': {
      if (!isPlainObject(value) || isWrapped(value, DATA_KEY) || isWrapped(value, DATE_KEY)) {
        return void fail(`must be a dictionary, got ${jsonKind(value)}`);
      }
      const subkeys = subkeysOf(spec, scopes);
      if (subkeys) checkKeys(subkeys, value, path, [...scopes, subkeys], report);
      return;
    }
    case 'any':
      return;
  }
}

function checkScalar(spec: KeySpec, value: string | number | boolean, path: string, report: CatalogReport): void {
  if (spec.rangelist && !spec.rangelist.includes(value)) {
    report.errors.push({ path, message: `must be one of ${spec.rangelist.map(String).join(', ')}, got ${String(value)}` });
  }
  if (typeof value === 'number' && spec.range) {
    const { min, max } = spec.range;
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      report.errors.push({ path, message: `must be ${rangeText(min, max)}, got ${value}` });
    }
  }
}

function checkArray(spec: KeySpec, value: unknown[], path: string, scopes: KeySpec[][], report: CatalogReport): void {
  const items = subkeysOf(spec, scopes);
  if (!items || items.length === 0) return;
  const inner = [...scopes, items];
  const repetition = items.length === 1 ? items[0].repetition : undefined;
  if (repetition) {
    const { min, max } = repetition;
    if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) {
      report.errors.push({ path, message: `must hold ${rangeText(min, max)} items, got ${value.length}` });
    }
  }
  if (items.length === 1) {
    value.forEach((item, i) => checkValue(items[0], item, `${path}[${i}]`, inner, report));
    return;
  }
  // Several item specs: a tagged union (Settings), told apart by one key's fixed value. Forms iOS
  // lacks carry no subkeys, so they cannot take part.
  const forms = items.filter((s) => s.ios !== false);
  const tag = unionTag(forms);
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (!tag || !isPlainObject(item)) {
      if (!forms.some((s) => trial(s, item, at, inner))) {
        report.errors.push({ path: at, message: `matches none of ${forms.map((s) => s.key).join(', ')}` });
      }
      return;
    }
    const variant = forms.find((s) => tagValue(s, tag) === item[tag]);
    if (!variant) {
      const allowed = forms.map((s) => String(tagValue(s, tag))).join(', ');
      report.errors.push({ path: `${at}.${tag}`, message: `must be one of ${allowed}, got ${jsonKind(item[tag])}` });
      return;
    }
    checkValue(variant, item, at, inner, report);
  });
}

function trial(spec: KeySpec, value: unknown, path: string, scopes: KeySpec[][]): boolean {
  const probe: CatalogReport = { errors: [], warnings: [] };
  checkValue(spec, value, path, scopes, probe);
  return probe.errors.length === 0;
}

/** A key every variant requires with a single allowed value ('Item' in the Settings command). */
function unionTag(variants: KeySpec[]): string | undefined {
  const first = variants[0]?.subkeys ?? [];
  return first
    .map((k) => k.key)
    .find((name) => variants.every((v) => tagValue(v, name) !== undefined));
}

function tagValue(variant: KeySpec, name: string): string | number | boolean | undefined {
  const k = variant.subkeys?.find((s) => s.key === name);
  return k && k.presence === 'required' && k.rangelist?.length === 1 ? k.rangelist[0] : undefined;
}

function subkeysOf(spec: KeySpec, scopes: KeySpec[][]): KeySpec[] | undefined {
  return spec.subkeysOf !== undefined ? scopes[scopes.length - spec.subkeysOf] : spec.subkeys;
}

function matchesFormat(format: string, value: string): boolean {
  try {
    return new RegExp(format).test(value);
  } catch {
    // Apple's patterns are not guaranteed to be JavaScript syntax; an unreadable one proves nothing.
    return true;
  }
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${String(max)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isWrapped(v: unknown, marker: string): v is Record<string, unknown> {
  return isPlainObject(v) && Object.keys(v).length === 1 && Object.hasOwn(v, marker);
}

function isIsoDate(v: unknown): boolean {
  return typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(new Date(v).getTime());
}

function jsonKind(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'an array';
      if (isWrapped(v, DATA_KEY)) return 'data';
      return isWrapped(v, DATE_KEY) ? 'a date' : 'an object';
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      return typeof v;
  }
}
