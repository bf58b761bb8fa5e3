import type {
  InventoryCatalogFile,
  InventoryQuerySpec,
  CombineCatalogFile,
  CombineType,
  CommandCatalogFile,
  DeclarationCombineRules,
  CommandSpec,
  KeySpec,
  KeyType,
  ModeRule,
  PayloadCatalogFile,
  PayloadSpec,
  ScalarDefault,
  SchemaRelease,
} from './types';

// This module has no value imports: scripts/build-catalog.mjs transpiles and loads it on its own,
// so the catalog can be regenerated without building the monorepo first.

/** Bump when a field changes meaning, so JSON written by an older derivation fails the drift test. */
export const CATALOG_FORMAT = 1;

/** One parsed YAML file of apple-device-management/mdm/{profiles,commands}. */
export interface SchemaFile {
  name: string;
  doc: unknown;
}

export interface SchemaInput {
  /** apple-device-management/README.md, for the OS table of the release. */
  readme: string;
  profiles: SchemaFile[];
  commands: SchemaFile[];
}

/** Files that describe the profile envelope rather than a payload a profile can carry. */
const PSEUDO_PAYLOAD_TYPES = new Set(['TopLevel', 'CommonPayloadKeys']);

const KEY_TYPES: Record<string, KeyType> = {
  '<string>': 'string',
  '<integer>': 'integer',
  '<real>': 'real',
  '<boolean>': 'boolean',
  '<date>': 'date',
  '<data>': 'data',
  '<array>': 'array',
  '<dictionary>': 'dictionary',
  '<any>': 'any',
};

type Dict = Record<string, unknown>;

function asDict(v: unknown): Dict | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : undefined;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** YAML turns an unquoted 17.0 into a number; versions are strings everywhere else. */
function version(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function mode(v: unknown): ModeRule | undefined {
  const m = asDict(v)?.mode;
  return m === 'allowed' || m === 'required' || m === 'forbidden' || m === 'ignored' ? m : undefined;
}

function isScalar(v: unknown): v is ScalarDefault {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function numericBounds(v: unknown): { min?: number; max?: number } | undefined {
  const d = asDict(v);
  if (!d) return undefined;
  const out: { min?: number; max?: number } = {};
  if (typeof d.min === 'number') out.min = d.min;
  if (typeof d.max === 'number') out.max = d.max;
  return out.min === undefined && out.max === undefined ? undefined : out;
}

/** iOS facts in force at a point of the schema; keys inherit them from their parent and override. */
interface IosContext {
  introduced: string;
  deprecated?: string;
  removed?: string;
  supervised: boolean;
  userEnrollment?: ModeRule;
  sharedIpad?: ModeRule;
}

function iosOf(supportedOS: unknown): Dict | undefined {
  return asDict(asDict(supportedOS)?.iOS);
}

/** Apple: a key inherits the payload's supportedOS, updated by whatever its own supportedOS says. */
function inherit(parent: IosContext, own: Dict | undefined): IosContext {
  if (!own) return parent;
  return {
    introduced: version(own.introduced) ?? parent.introduced,
    deprecated: version(own.deprecated) ?? parent.deprecated,
    removed: version(own.removed) ?? parent.removed,
    supervised: typeof own.supervised === 'boolean' ? own.supervised : parent.supervised,
    userEnrollment: mode(own.userenrollment) ?? parent.userEnrollment,
    sharedIpad: mode(own.sharedipad) ?? parent.sharedIpad,
  };
}

function deriveKeys(raw: unknown, parent: IosContext, ancestors: unknown[]): KeySpec[] {
  const out: KeySpec[] = [];
  for (const item of asList(raw)) {
    const k = asDict(item);
    if (!k || typeof k.key !== 'string') continue;
    out.push(deriveKey(k, parent, ancestors, raw));
  }
  return out;
}

function deriveKey(k: Dict, parent: IosContext, ancestors: unknown[], siblings: unknown): KeySpec {
  const ctx = inherit(parent, iosOf(k.supportedOS));
  const spec: KeySpec = {
    key: k.key as string,
    ...(typeof k.title === 'string' ? { title: k.title } : {}),
    type: KEY_TYPES[String(k.type)] ?? 'any',
    presence: k.presence === 'required' ? 'required' : 'optional',
  };
  if (ctx.introduced === 'n/a') {
    // The device ignores it; keep the name so validation can say so instead of "unknown key".
    spec.ios = false;
    return spec;
  }
  if (isScalar(k.default)) spec.default = k.default;
  const rangelist = asList(k.rangelist).filter(isScalar);
  if (rangelist.length > 0) spec.rangelist = rangelist;
  const range = numericBounds(k.range);
  if (range) spec.range = range;
  const repetition = numericBounds(k.repetition);
  if (repetition) spec.repetition = repetition;
  if (typeof k.format === 'string') spec.format = k.format;
  if (ctx.introduced !== parent.introduced) spec.iosIntroduced = ctx.introduced;
  if (ctx.deprecated && ctx.deprecated !== parent.deprecated) spec.iosDeprecated = ctx.deprecated;
  if (ctx.removed && ctx.removed !== parent.removed) spec.iosRemoved = ctx.removed;
  if (ctx.supervised && !parent.supervised) spec.supervised = true;
  if (ctx.userEnrollment && ctx.userEnrollment !== parent.userEnrollment) spec.userEnrollment = ctx.userEnrollment;
  if (ctx.sharedIpad && ctx.sharedIpad !== parent.sharedIpad) spec.sharedIpad = ctx.sharedIpad;

  const sub = k.subkeys;
  if (Array.isArray(sub) && sub.length > 0) {
    if (spec.type === 'string') {
      spec.knownValues = deriveKeys(sub, ctx, [])
        .filter((s) => s.ios !== false)
        .map((s) => s.key);
    } else {
      // YAML anchors make some structures recursive (a home-screen folder holds pages of icons,
      // which may be folders): refer back instead of expanding forever.
      const chain = [...ancestors, siblings];
      const at = chain.indexOf(sub);
      if (at >= 0) spec.subkeysOf = chain.length - at;
      else spec.subkeys = deriveKeys(sub, ctx, chain);
    }
  }
  return spec;
}

function rootContext(ios: Dict): IosContext {
  return inherit({ introduced: 'n/a', supervised: false }, ios);
}

function derivePayload(file: SchemaFile): PayloadSpec | undefined {
  const doc = asDict(file.doc);
  const payload = asDict(doc?.payload);
  const ios = iosOf(payload?.supportedOS);
  const type = payload?.payloadtype;
  if (!doc || !ios || typeof type !== 'string' || PSEUDO_PAYLOAD_TYPES.has(type)) return undefined;
  const ctx = rootContext(ios);
  if (ctx.introduced === 'n/a') return undefined;
  const spec: Omit<PayloadSpec, 'keys'> = {
    type,
    title: typeof doc.title === 'string' ? doc.title : type,
    iosIntroduced: ctx.introduced,
    supervised: ctx.supervised,
    multiple: ios.multiple === true,
  };
  if (ctx.deprecated) spec.iosDeprecated = ctx.deprecated;
  if (ctx.removed) spec.iosRemoved = ctx.removed;
  if (ctx.userEnrollment) spec.userEnrollment = ctx.userEnrollment;
  if (ctx.sharedIpad) spec.sharedIpad = ctx.sharedIpad;
  return { ...spec, keys: deriveKeys(doc.payloadkeys, ctx, []) };
}

function deriveCommand(file: SchemaFile): CommandSpec | undefined {
  const doc = asDict(file.doc);
  const payload = asDict(doc?.payload);
  const ios = iosOf(payload?.supportedOS);
  const requestType = payload?.requesttype;
  if (!doc || !ios || typeof requestType !== 'string') return undefined;
  const ctx = rootContext(ios);
  if (ctx.introduced === 'n/a') return undefined;
  const spec: Omit<CommandSpec, 'keys'> = {
    requestType,
    title: typeof doc.title === 'string' ? doc.title : requestType,
    iosIntroduced: ctx.introduced,
    supervised: ctx.supervised,
    returnsData: asList(doc.responsekeys).length > 0,
  };
  if (ctx.deprecated) spec.iosDeprecated = ctx.deprecated;
  if (ctx.removed) spec.iosRemoved = ctx.removed;
  if (ios.requiresdep === true) spec.requiresDep = true;
  if (typeof ios.accessrights === 'string') spec.accessRights = ios.accessrights;
  if (ctx.userEnrollment) spec.userEnrollment = ctx.userEnrollment;
  if (ctx.sharedIpad) spec.sharedIpad = ctx.sharedIpad;
  return { ...spec, keys: deriveKeys(doc.payloadkeys, ctx, []) };
}

/** The "OS Versions" table of the schema README: `| iOS | 18.1 |` rows. */
export function parseSchemaRelease(readme: string): SchemaRelease {
  const release: SchemaRelease = {};
  const section = readme.split(/^## /m).find((s) => s.startsWith('OS Versions')) ?? '';
  for (const line of section.split('\n')) {
    const m = /^\|\s*([A-Za-z]+)\s*\|\s*(\d+(?:\.\d+)*)\s*\|\s*$/.exec(line.trim());
    if (m) release[m[1]] = m[2];
  }
  if (!release.iOS) throw new Error('schema README has no iOS row in its "OS Versions" table');
  return release;
}

/** Deterministic: entries sorted by type, keys in Apple's order, fields in a fixed order. */
export function deriveCatalogs(input: SchemaInput): { payloads: PayloadCatalogFile; commands: CommandCatalogFile } {
  const schemaRelease = parseSchemaRelease(input.readme);
  const byType = new Map<string, { file: string; spec: PayloadSpec }>();
  for (const file of input.profiles) {
    const spec = derivePayload(file);
    if (!spec) continue;
    const seen = byType.get(spec.type);
    // Apple describes a variant of one type in a second file (com.apple.extensiblesso(kerberos).yaml
    // beside com.apple.extensiblesso.yaml); the file named after the type is the general one.
    if (!seen || file.name === `${spec.type}.yaml`) byType.set(spec.type, { file: file.name, spec });
    else if (seen.file !== `${spec.type}.yaml`) throw new Error(`${spec.type} is defined by ${seen.file} and ${file.name}`);
  }
  const payloads = [...byType.values()]
    .map((p) => p.spec)
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const commands = input.commands
    .map(deriveCommand)
    .filter((c): c is CommandSpec => c !== undefined)
    .sort((a, b) => (a.requestType < b.requestType ? -1 : a.requestType > b.requestType ? 1 : 0));
  const requestTypes = commands.map((c) => c.requestType);
  const dup = requestTypes.find((t, i) => requestTypes.indexOf(t) !== i);
  if (dup) throw new Error(`schema defines the command ${dup} twice`);
  return {
    payloads: { format: CATALOG_FORMAT, schemaRelease, payloads },
    commands: { format: CATALOG_FORMAT, schemaRelease, commands },
  };
}

/**
 * The DeviceInformation queries an iOS device answers today: every name of the command's `Queries` that iOS
 * knows and has not removed, typed by its `QueryResponses` key, in Apple's order (inventory.json).
 */
export function deriveInventoryCatalog(input: { readme: string; commands: SchemaFile[] }): InventoryCatalogFile {
  const doc = input.commands.map((f) => asDict(f.doc)).find((d) => asDict(d?.payload)?.requesttype === 'DeviceInformation');
  if (!doc) throw new Error('schema has no DeviceInformation command');
  const queries = asList(asDict(asList(asDict(asList(doc.payloadkeys)[0])?.subkeys)[0])?.subkeys);
  const responses = asList(asDict(asList(doc.responsekeys).map(asDict).find((k) => k?.key === 'QueryResponses'))?.subkeys);
  const answerType = new Map(responses.map(asDict).filter((k): k is Dict => typeof k?.key === 'string').map((k) => [k.key as string, k.type]));
  const out: InventoryQuerySpec[] = [];
  for (const raw of queries) {
    const item = asDict(raw);
    if (!item || typeof item.key !== 'string') continue;
    const ios = iosOf(item.supportedOS) ?? {};
    if (ios.introduced === 'n/a' || version(ios.removed)) continue;
    const spec: InventoryQuerySpec = { query: item.key, type: KEY_TYPES[String(answerType.get(item.key) ?? item.type)] ?? 'any' };
    const introduced = version(ios.introduced);
    if (introduced) spec.iosIntroduced = introduced;
    const deprecated = version(ios.deprecated);
    if (deprecated) spec.iosDeprecated = deprecated;
    if (ios.supervised === true) spec.supervised = true;
    out.push(spec);
  }
  if (out.length === 0) throw new Error('DeviceInformation lists no iOS query: has the schema layout changed?');
  return { format: CATALOG_FORMAT, schemaRelease: parseSchemaRelease(input.readme), deviceInformation: out };
}

/** Every `combinetype` of types.ts once: a record, so the compiler flags a value missing or unknown. */
const COMBINE_TYPE_LIST: Record<CombineType, true> = {
  'boolean-or': true,
  'boolean-and': true,
  'number-min': true,
  'number-max': true,
  'enum-first': true,
  'enum-last': true,
  first: true,
  'array-append': true,
  'set-union': true,
  'set-intersection': true,
};
const COMBINE_VOCABULARY: ReadonlySet<string> = new Set(Object.keys(COMBINE_TYPE_LIST));

function isCombineType(v: unknown): v is CombineType {
  return typeof v === 'string' && COMBINE_VOCABULARY.has(v);
}

/** Every key of a declaration that has a combinetype, depth first in Apple's order, as a dotted path. */
function combineKeys(raw: unknown, prefix: string, type: string): DeclarationCombineRules['keys'] {
  const out: DeclarationCombineRules['keys'] = [];
  for (const item of asList(raw)) {
    const k = asDict(item);
    if (!k || typeof k.key !== 'string') continue;
    const key = prefix ? `${prefix}.${k.key}` : k.key;
    if (k.combinetype !== undefined) {
      // A value outside the vocabulary means Apple changed the format: stop rather than guess a direction.
      if (!isCombineType(k.combinetype)) throw new Error(`${type} ${key}: unknown combinetype ${String(k.combinetype)}`);
      out.push({ key, combine: k.combinetype });
    }
    out.push(...combineKeys(k.subkeys, key, type));
  }
  return out;
}

/**
 * The combine rules of Apple's declarative configurations
 * (apple-device-management/declarative/declarations/configurations): only declarations with at least one
 * `combinetype`, sorted by type. Profiles carry no combinetype; `effective.ts` maps profile keys onto these.
 */
export function deriveCombineRules(input: { readme: string; declarations: SchemaFile[] }): CombineCatalogFile {
  const schemaRelease = parseSchemaRelease(input.readme);
  const declarations: DeclarationCombineRules[] = [];
  for (const file of input.declarations) {
    const doc = asDict(file.doc);
    const type = asDict(doc?.payload)?.declarationtype;
    if (!doc || typeof type !== 'string') continue;
    const keys = combineKeys(doc.payloadkeys, '', type);
    if (keys.length > 0) declarations.push({ type, keys });
  }
  declarations.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const dup = declarations.find((d, i) => i > 0 && declarations[i - 1].type === d.type);
  if (dup) throw new Error(`schema defines the declaration ${dup.type} twice`);
  return { format: CATALOG_FORMAT, schemaRelease, declarations };
}

/** JSON that puts anything short on one line: small files, readable diffs. */
export function formatCatalogJson(value: unknown): string {
  return `${format(value, '')}\n`;
}

function format(value: unknown, indent: string): string {
  const flat = JSON.stringify(value);
  if (value === null || typeof value !== 'object' || flat.length + indent.length <= 100) return flat;
  const inner = `${indent}  `;
  const lines = Array.isArray(value)
    ? value.map((v) => inner + format(v, inner))
    : Object.entries(value as Dict)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${lines.join(',\n')}\n${indent}${close}`;
}
