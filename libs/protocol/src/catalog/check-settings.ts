import type { KeySpec } from './types';

/* Checking JSON settings or a command body against the keys of Apple's schema. */

export interface CatalogIssue {
  /** Dotted path from the payload type or `command`, with `[i]` for array items. */
  path: string;
  message: string;
}

export interface CatalogReport {
  errors: CatalogIssue[];
  warnings: CatalogIssue[];
}

// Same JSON conventions as jsonToPlistValue in command.ts.
const DATA_KEY = '$data';
const DATE_KEY = '$date';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ANY_KEY = 'ANY';

export function keyIndex(keys: KeySpec[]): Map<string, KeySpec> {
  return new Map(keys.map((k) => [k.key, k]));
}

/**
 * `scopes` holds the key lists from the payload down to `keys` (its last entry), so a recursive
 * spec (`subkeysOf: n`) can find the list it repeats.
 */
export function checkKeys(
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

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isWrapped(v: unknown, marker: string): v is Record<string, unknown> {
  return isPlainObject(v) && Object.keys(v).length === 1 && Object.hasOwn(v, marker);
}

function isIsoDate(v: unknown): boolean {
  return typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(new Date(v).getTime());
}

export function jsonKind(v: unknown): string {
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
