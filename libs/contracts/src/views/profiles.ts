import type { DeviceGroupRule, DeviceProfileStatus } from '../assignments';
import type { JsonValue } from './json';

/** One payload of a profile as the admin API speaks it: settings in JSON ($data/$date for bytes and dates). */
export interface ProfilePayloadView {
  type: string;
  /** PayloadIdentifier; `<profile identifier>.<type>.<n>` when left out. */
  identifier?: string;
  settings: Record<string, unknown>;
}

export interface ProfileView {
  id: string;
  name: string;
  identifier: string;
  description: string | null;
  removalDisallowed: boolean;
  version: number;
  payloads: ProfilePayloadView[];
  warnings: string[];
  createdAt: string;
  updatedAt: string;
}

/** Another assigned profile carrying the same payload type (the older assignment keeps it). */
export interface ProfileConflictView {
  payloadType: string;
  /** The other profiles carrying it. */
  with: Array<{ profileId: string; identifier: string }>;
}

/** A profile's desired and installed state on one device. */
export interface DeviceProfileView {
  udid: string;
  profileId: string;
  identifier: string;
  desired: boolean;
  desiredVersion: number | null;
  installedVersion: number | null;
  status: DeviceProfileStatus;
  reason: string | null;
  errorChain: JsonValue[] | null;
  conflicts: ProfileConflictView[] | null;
  pendingAction: 'install' | 'remove' | null;
  updatedAt: string;
}

export interface DeviceGroupView {
  id: string;
  name: string;
  description: string | null;
  /** null: a static group with listed members. */
  rule: DeviceGroupRule | null;
  /** Devices in the group now (listed, or matching the rule). */
  devices: number;
  createdAt: string;
}
