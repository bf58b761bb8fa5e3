import { isPlainObject, keyIndex, type CatalogIssue } from './check-settings';
import type { KeySpec } from './types';

/* Whether a device can use a payload, a command or a key: supervision and iOS versions. */

export interface DeviceFacts {
  /** null: not known yet (no DeviceInformation answer). */
  supervised: boolean | null;
  osVersion: string | null;
}

export type Applicability = { ok: true } | { ok: false; reason: string };

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

export function applicability(
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

export function collectIgnored(
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
