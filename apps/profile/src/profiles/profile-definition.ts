import { createHash } from 'node:crypto';
import type { ProfilePayloadDefinition } from '@mdm/contracts';
import type { ProfileDefinition, StoredPayload } from '@mdm/persistence';
import { buildPlist, jsonToPlistValue, payloadSpec, type PlistDict, ProtocolError, validatePayloadSettings } from '@mdm/protocol';

/** What the catalog said about a definition: errors refuse it, warnings are returned with it. */
export interface DefinitionReport {
  payloads: StoredPayload[];
  errors: string[];
  warnings: string[];
}

/** The parts of a profile that end up in the .mobileconfig; any change to them is a new version. */
export type ProfileContent = ProfileDefinition;

// The server owns these: UUIDs are derived per version and PayloadVersion is always 1, so a value
// in the settings would silently disagree with what devices get.
const SERVER_OWNED = new Set(['PayloadUUID', 'PayloadVersion']);

/**
 * Checks every payload against Apple's schema. Errors and warnings name the payload by index and
 * type and the key by its path (`payloads[0] com.apple.mobiledevice.passwordpolicy.minLength: ...`),
 * because one profile may hold several payloads of the same type.
 */
export function checkDefinition(payloads: readonly ProfilePayloadDefinition[], allowUnknown: boolean): DefinitionReport {
  const report: DefinitionReport = { payloads: [], errors: [], warnings: [] };
  const seen = new Map<string, number>();
  payloads.forEach((p, i) => {
    const at = `payloads[${i}]`;
    const settings: Record<string, unknown> = { ...p.settings };
    if (settings['PayloadType'] === p.type) delete settings['PayloadType'];
    for (const key of Object.keys(settings)) {
      if (SERVER_OWNED.has(key)) report.errors.push(`${at} ${p.type}.${key}: set by the server, leave it out`);
      if (key === 'PayloadIdentifier') report.errors.push(`${at} ${p.type}.${key}: give it as the payload's "identifier"`);
    }
    const spec = payloadSpec(p.type);
    if (spec) {
      const catalog = validatePayloadSettings(p.type, settings);
      for (const e of catalog.errors) report.errors.push(`${at} ${e.path}: ${e.message}`);
      for (const w of catalog.warnings) report.warnings.push(`${at} ${w.path}: ${w.message}`);
      const count = (seen.get(p.type) ?? 0) + 1;
      seen.set(p.type, count);
      if (!spec.multiple && count === 2) {
        report.warnings.push(`${at} ${p.type}: a device holds only one payload of this type; the others will fail to install`);
      }
    } else if (allowUnknown) {
      report.warnings.push(`${at} ${p.type}: not in the catalog; its settings are sent unchecked`);
    } else {
      report.errors.push(`${at} ${p.type}: unknown payload type ${p.type} (set allowUnknown to send it unchecked)`);
    }
    // Unknown types are not walked by the catalog; this still refuses what no plist can hold (null).
    try {
      jsonToPlistValue(settings, `${at} ${p.type}`);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (!report.errors.some((e) => e.startsWith(`${at} `))) report.errors.push(err.message);
    }
    report.payloads.push({ type: p.type, ...(p.identifier ? { identifier: p.identifier } : {}), settings: canonical(settings) as Record<string, unknown> });
  });
  return report;
}

/** Warnings of a stored definition, recomputed so they follow the catalog the server runs with. */
export function definitionWarnings(payloads: readonly StoredPayload[]): string[] {
  return checkDefinition(payloads, true).warnings;
}

/** Whether two definitions would produce the same .mobileconfig (jsonb does not keep key order). */
export function sameContent(a: ProfileContent, b: ProfileContent): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * The .mobileconfig XML for one version of a profile. Byte-for-byte the same for the same id and
 * version: UUIDs are derived, keys are written in a fixed order, nothing depends on the clock.
 */
export function buildMobileconfig(profileId: string, version: number, content: ProfileContent): string {
  const payloads = content.payloads.map((p, i): PlistDict => {
    const settings = jsonToPlistValue(canonical(p.settings), `payloads[${i}] ${p.type}`) as PlistDict;
    return {
      PayloadType: p.type,
      PayloadVersion: 1,
      PayloadIdentifier: p.identifier ?? `${content.identifier}.${p.type}.${i}`,
      PayloadUUID: derivedUuid(`${profileId}/${version}/${i}`),
      ...settings,
    };
  });
  const profile: PlistDict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: content.identifier,
    PayloadUUID: derivedUuid(`${profileId}/${version}`),
    PayloadDisplayName: content.name,
    ...(content.description ? { PayloadDescription: content.description } : {}),
    ...(content.removalDisallowed ? { PayloadRemovalDisallowed: true } : {}),
    PayloadContent: payloads,
  };
  return buildPlist(profile);
}

// Fixed namespace for profile payload UUIDs (a random UUID chosen once; changing it changes every UUID).
const UUID_NAMESPACE = Buffer.from('6d0d3b3e5c2a4f8e9a1b7c4d2e8f0a13', 'hex');

/** RFC 9562 UUIDv5 (SHA-1, name-based), upper-case as Apple writes PayloadUUIDs. */
export function derivedUuid(name: string): string {
  const hash = createHash('sha1').update(UUID_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A copy with every object's keys sorted, so equal definitions serialise equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // No prototype: a "__proto__" key stays a key instead of replacing the prototype.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) out[key] = canonical(record[key]);
    return out;
  }
  return value;
}
