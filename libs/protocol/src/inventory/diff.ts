import type { JsonValue } from '../command';
import type { CertificateSummary, JsonDict } from './answers';
import { VOLATILE_INVENTORY_QUERIES } from './queries';

/** One line of a device's inventory history. */
export interface InventoryChange {
  field: string;
  oldValue: JsonValue;
  newValue: JsonValue;
}

/** JSON with sorted keys: two answers that differ only in key order are the same answer. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

function differs(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return canonicalJson(a) !== canonicalJson(b);
}

/**
 * A DeviceInformation answer merged into what is known: a query the device did not answer (an operator's
 * own DeviceInformation asks for a few) keeps its value. The first answer sets the baseline and records no
 * change; volatile answers (battery, free space) are kept but not recorded.
 */
export function mergeDeviceInformation(before: JsonDict | null, answer: JsonDict): { value: JsonDict; changes: InventoryChange[] } {
  if (!before) return { value: { ...answer }, changes: [] };
  const changes: InventoryChange[] = [];
  for (const [query, next] of Object.entries(answer)) {
    if (VOLATILE_INVENTORY_QUERIES.has(query) || !differs(before[query], next)) continue;
    changes.push({ field: query, oldValue: before[query] ?? null, newValue: next });
  }
  return { value: { ...before, ...answer }, changes };
}

/** Dictionaries as dotted paths down to their leaves; arrays are compared whole. */
function leaves(value: JsonDict, prefix: string, out: Map<string, JsonValue>): Map<string, JsonValue> {
  for (const [key, v] of Object.entries(value)) {
    const path = `${prefix}.${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) leaves(v, path, out);
    else out.set(path, v);
  }
  return out;
}

/** SecurityInfo is replaced whole; the changes name each leaf that differs (`SecurityInfo.PasscodePresent`). */
export function diffSecurityInfo(before: JsonDict | null, after: JsonDict): InventoryChange[] {
  if (!before) return [];
  const old = leaves(before, 'SecurityInfo', new Map());
  const next = leaves(after, 'SecurityInfo', new Map());
  const changes: InventoryChange[] = [];
  for (const field of new Set([...old.keys(), ...next.keys()])) {
    if (differs(old.get(field), next.get(field))) changes.push({ field, oldValue: old.get(field) ?? null, newValue: next.get(field) ?? null });
  }
  return changes;
}

function certificateLabel(c: CertificateSummary): string {
  return `Certificate ${c.commonName ?? c.subject ?? c.fingerprint.slice(0, 16)}`;
}

function asJson(c: CertificateSummary): JsonValue {
  return { ...c };
}

/** Certificates told apart by fingerprint: one change per certificate installed or removed. */
export function diffCertificates(before: CertificateSummary[] | null, after: CertificateSummary[]): InventoryChange[] {
  if (!before) return [];
  const old = new Map(before.map((c) => [c.fingerprint, c]));
  const next = new Map(after.map((c) => [c.fingerprint, c]));
  const changes: InventoryChange[] = [];
  for (const [fp, c] of old) if (!next.has(fp)) changes.push({ field: certificateLabel(c), oldValue: asJson(c), newValue: null });
  for (const [fp, c] of next) if (!old.has(fp)) changes.push({ field: certificateLabel(c), oldValue: null, newValue: asJson(c) });
  return changes;
}
