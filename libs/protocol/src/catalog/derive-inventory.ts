import type { InventoryCatalogFile, InventoryQuerySpec, KeyType, SchemaRelease } from './types';

// No value imports: scripts/build-catalog.mjs transpiles and loads this module on its own, like derive.ts.

/** Bump when a field changes meaning, so JSON written by an older derivation fails the drift check. */
export const INVENTORY_FORMAT = 1;

type Dict = Record<string, unknown>;

function asDict(v: unknown): Dict | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : undefined;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function version(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function keyType(raw: unknown): KeyType {
  const m = /^<(string|integer|real|boolean|date|data|array|dictionary)>$/.exec(String(raw));
  return m ? (m[1] as KeyType) : 'any';
}

function iosOf(item: Dict): Dict {
  return asDict(asDict(item.supportedOS)?.iOS) ?? {};
}

/**
 * The DeviceInformation queries an iOS device answers today (apple-device-management/mdm/commands,
 * the command whose requesttype is DeviceInformation): every name of `Queries` that iOS knows and has not
 * removed, with the type of its answer from `QueryResponses`. Apple's order is kept.
 */
export function deriveInventoryCatalog(input: { schemaRelease: SchemaRelease; commands: Array<{ name: string; doc: unknown }> }): InventoryCatalogFile {
  const doc = input.commands.map((f) => asDict(f.doc)).find((d) => asDict(d?.payload)?.requesttype === 'DeviceInformation');
  if (!doc) throw new Error('schema has no DeviceInformation command');
  const queries = asList(asDict(asDict(asList(asDict(asList(doc.payloadkeys)[0])?.subkeys)[0]))?.subkeys);
  const responses = asList(asDict(asList(doc.responsekeys).map(asDict).find((k) => k?.key === 'QueryResponses'))?.subkeys);
  const answerType = new Map(responses.map(asDict).filter((k): k is Dict => typeof k?.key === 'string').map((k) => [k.key as string, keyType(k.type)]));
  const out: InventoryQuerySpec[] = [];
  for (const raw of queries) {
    const item = asDict(raw);
    if (!item || typeof item.key !== 'string') continue;
    const ios = iosOf(item);
    if (ios.introduced === 'n/a' || version(ios.removed)) continue;
    const spec: InventoryQuerySpec = { query: item.key, type: answerType.get(item.key) ?? keyType(item.type) };
    const introduced = version(ios.introduced);
    if (introduced) spec.iosIntroduced = introduced;
    const deprecated = version(ios.deprecated);
    if (deprecated) spec.iosDeprecated = deprecated;
    if (ios.supervised === true) spec.supervised = true;
    out.push(spec);
  }
  if (out.length === 0) throw new Error('DeviceInformation lists no iOS query: has the schema layout changed?');
  return { format: INVENTORY_FORMAT, schemaRelease: input.schemaRelease, deviceInformation: out };
}
