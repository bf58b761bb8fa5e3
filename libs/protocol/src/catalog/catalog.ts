import commandsJson from './commands.json';
import payloadsJson from './payloads.json';
import { applicability, collectIgnored, type Applicability, type DeviceFacts } from './applicability';
import { checkKeys, isPlainObject, jsonKind, type CatalogIssue, type CatalogReport } from './check-settings';
import { CATALOG_FORMAT } from './derive';
import type { CommandCatalogFile, CommandSpec, PayloadCatalogFile, PayloadSpec, SchemaRelease } from './types';

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
export type { CatalogIssue, CatalogReport } from './check-settings';
export { compareOsVersions, type Applicability, type DeviceFacts } from './applicability';

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
