import type { DeviceGroupRule } from '@mdm/contracts';
import type { DeviceFacts as StoredDeviceFacts, DeviceProfileChange, ProfileConflict, StoredDeviceProfile } from '@mdm/persistence';
import { compareOsVersions, payloadApplicability, payloadSpec } from '@mdm/protocol';

/** What the reconciler knows about a device. Unknown facts (null) never block and never match a rule. */
export type DeviceFacts = StoredDeviceFacts;

/** A profile the device should hold, at its current version. */
export interface DesiredProfile {
  profileId: string;
  identifier: string;
  version: number;
  /** Older profiles win a conflict: the first one assigned keeps the payload type. */
  createdAt: Date;
  payloadTypes: readonly string[];
}

export type Conflict = ProfileConflict;

/** One `device_profiles` row as the planner reads it. */
export type DeviceProfileRow = StoredDeviceProfile;

/** The row's next state; `action` set means a command must be planned for it. */
export interface RowChange extends DeviceProfileChange {
  action?: { kind: 'install'; version: number } | { kind: 'remove' };
}

export interface DevicePlan {
  changes: RowChange[];
  /** Rows no longer worth keeping: never installed, no longer wanted. */
  drop: string[];
  /** Conflicts not reported before. */
  newConflicts: Array<{ payloadType: string; profiles: Array<{ profileId: string; identifier: string }> }>;
}

/** A failed RemoveProfile is marked with this `failed_version`: not retried until an operator asks. */
export const REMOVE_FAILED = 0;
/** The reason an acknowledged install carries until a ProfileList answer confirms it. */
export const VERIFYING = 'acknowledged; waiting for the device to list it (ProfileList)';

export function matchesRule(rule: DeviceGroupRule, d: DeviceFacts): boolean {
  if (rule.supervised !== undefined && d.supervised !== rule.supervised) return false;
  if (rule.minOsVersion && (!d.osVersion || compareOsVersions(d.osVersion, rule.minOsVersion) < 0)) return false;
  if (rule.maxOsVersion && (!d.osVersion || compareOsVersions(d.osVersion, rule.maxOsVersion) > 0)) return false;
  if (rule.productName && !d.productName?.startsWith(rule.productName)) return false;
  return true;
}

/** Why the device can't take the profile at all (a payload needs supervision or a newer iOS), if so. */
export function blockedReason(p: DesiredProfile, d: DeviceFacts): string | null {
  for (const type of p.payloadTypes) {
    const verdict = payloadApplicability(type, { supervised: d.supervised, osVersion: d.osVersion });
    if (!verdict.ok) return `${type}: ${verdict.reason}`;
  }
  return null;
}

/**
 * Payload types a device may hold only once (`multiple: false` in Apple's schema) that two or more of
 * these profiles carry. The oldest profile keeps the type; the others are blocked, and all are told.
 */
export function findConflicts(profiles: readonly DesiredProfile[]): { conflicts: Map<string, Conflict[]>; losers: Map<string, string> } {
  const ordered = [...profiles].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.identifier.localeCompare(b.identifier));
  const holders = new Map<string, DesiredProfile[]>();
  for (const p of ordered) {
    for (const type of new Set(p.payloadTypes)) {
      if (payloadSpec(type)?.multiple !== false) continue;
      holders.set(type, [...(holders.get(type) ?? []), p]);
    }
  }
  const conflicts = new Map<string, Conflict[]>();
  const losers = new Map<string, string>();
  for (const [payloadType, ps] of holders) {
    if (ps.length < 2) continue;
    for (const p of ps) {
      const others = ps.filter((o) => o !== p).map((o) => ({ profileId: o.profileId, identifier: o.identifier }));
      conflicts.set(p.profileId, [...(conflicts.get(p.profileId) ?? []), { payloadType, with: others }]);
    }
    const [winner, ...rest] = ps;
    for (const p of rest) {
      if (!losers.has(p.profileId)) losers.set(p.profileId, `conflicts with ${winner!.identifier} on ${payloadType} (a device holds one payload of this type)`);
    }
  }
  return { conflicts, losers };
}

/**
 * Desired against known state for one device: what each row should say, and which InstallProfile or
 * RemoveProfile to send. Nothing is sent while a command for the row is in flight (its result plans
 * again), for a version that already failed, or to a device that is not enrolled.
 */
export function planDevice(device: DeviceFacts, desired: readonly DesiredProfile[], current: readonly DeviceProfileRow[]): DevicePlan {
  const rows = new Map(current.map((r) => [r.profileId, r]));
  const applicable = desired.filter((p) => !blockedReason(p, device));
  const { conflicts, losers } = findConflicts(applicable);
  const plan: DevicePlan = { changes: [], drop: [], newConflicts: [] };
  const reported = new Set<string>();

  for (const p of desired) {
    const row = rows.get(p.profileId);
    const mine = conflicts.get(p.profileId) ?? null;
    for (const c of mine ?? []) {
      const known = row?.conflicts?.some((k) => k.payloadType === c.payloadType && sameIds(k.with, c.with));
      const key = `${c.payloadType}:${[p.profileId, ...c.with.map((w) => w.profileId)].sort().join(',')}`;
      if (!known && !reported.has(key)) {
        reported.add(key);
        plan.newConflicts.push({ payloadType: c.payloadType, profiles: [{ profileId: p.profileId, identifier: p.identifier }, ...c.with] });
      }
    }
    const base = { profileId: p.profileId, identifier: p.identifier, desired: true, desiredVersion: p.version, conflicts: mine };
    const blocked = blockedReason(p, device) ?? losers.get(p.profileId) ?? null;
    if (blocked) {
      plan.changes.push({ ...base, status: 'blocked', reason: blocked });
    } else if (row?.action || row?.reason === VERIFYING) {
      // In flight, or acknowledged and waiting for ProfileList: that answer plans again.
      plan.changes.push({ ...base, status: row.status, reason: row.reason });
    } else if (row?.installedVersion === p.version) {
      plan.changes.push({ ...base, status: 'installed', reason: null });
    } else if (row?.status === 'failed' && row.failedVersion === p.version) {
      plan.changes.push({ ...base, status: 'failed', reason: row.reason });
    } else if (!device.enrolled) {
      plan.changes.push({ ...base, status: 'pending', reason: 'waiting for the device to enroll' });
    } else if (!device.inventoried) {
      // Supervision and iOS version decide what may be sent: nothing goes out on a guess.
      plan.changes.push({ ...base, status: 'pending', reason: 'waiting for the device inventory (DeviceInformation)' });
    } else {
      const reason = row?.installedVersion ? `updating from version ${row.installedVersion}` : null;
      plan.changes.push({ ...base, status: 'pending', reason, action: { kind: 'install', version: p.version } });
    }
  }

  const wanted = new Set(desired.map((p) => p.profileId));
  for (const row of current) {
    if (wanted.has(row.profileId)) continue;
    const base = { profileId: row.profileId, identifier: row.identifier, desired: false, desiredVersion: null, conflicts: null };
    const onDevice = row.installedVersion !== null;
    if (row.action) {
      // An install or remove in flight: its result plans again.
      plan.changes.push({ ...base, status: row.status, reason: row.reason });
    } else if (onDevice && row.status === 'failed' && row.failedVersion === REMOVE_FAILED) {
      plan.changes.push({ ...base, status: 'failed', reason: row.reason });
    } else if (onDevice && device.enrolled) {
      plan.changes.push({ ...base, status: 'removing', reason: 'no longer assigned', action: { kind: 'remove' } });
    } else if (row.status === 'removed') {
      continue;
    } else if (onDevice) {
      plan.changes.push({ ...base, status: 'pending', reason: 'to be removed when the device connects' });
    } else {
      plan.drop.push(row.profileId);
    }
  }
  return plan;
}

function sameIds(a: ReadonlyArray<{ profileId: string }>, b: ReadonlyArray<{ profileId: string }>): boolean {
  const ids = (x: ReadonlyArray<{ profileId: string }>): string => x.map((w) => w.profileId).sort().join(',');
  return ids(a) === ids(b);
}
