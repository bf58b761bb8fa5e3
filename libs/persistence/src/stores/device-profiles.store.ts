import type { DeviceProfileStatus } from '@mdm/contracts';
import type { JsonValue } from '../json';
import { select, selectOne, type Sql } from '../sql';

/** Another profile carrying a payload type only one profile may set. */
export interface ProfileConflict {
  payloadType: string;
  with: Array<{ profileId: string; identifier: string }>;
}

/** The planner's next state of a row. */
export interface DeviceProfileChange {
  profileId: string;
  identifier: string;
  desired: boolean;
  desiredVersion: number | null;
  status: DeviceProfileStatus;
  reason: string | null;
  conflicts: ProfileConflict[] | null;
}

/** One `device_profiles` row as the planner reads it. */
export interface StoredDeviceProfile extends DeviceProfileChange {
  installedVersion: number | null;
  action: 'install' | 'remove' | null;
  failedVersion: number | null;
}

/** A row as the API lists it, with the device's UDID. */
export interface DeviceProfileListing extends StoredDeviceProfile {
  udid: string;
  errorChain: JsonValue[] | null;
  updatedAt: Date;
}

interface DeviceProfileRow {
  device_id: string;
  profile_id: string;
  identifier: string;
  desired: boolean;
  desired_version: number | null;
  installed_version: number | null;
  status: DeviceProfileStatus;
  reason: string | null;
  conflicts: ProfileConflict[] | null;
  action: 'install' | 'remove' | null;
  failed_version: number | null;
  error_chain: JsonValue[] | null;
  updated_at: Date;
}

function fromRow(r: DeviceProfileRow): StoredDeviceProfile {
  return {
    profileId: r.profile_id,
    identifier: r.identifier,
    desired: r.desired,
    desiredVersion: r.desired_version,
    installedVersion: r.installed_version,
    status: r.status,
    reason: r.reason,
    conflicts: r.conflicts,
    action: r.action,
    failedVersion: r.failed_version,
  };
}

function listing(r: DeviceProfileRow & { udid: string }): DeviceProfileListing {
  return { ...fromRow(r), udid: r.udid, errorChain: r.error_chain, updatedAt: r.updated_at };
}

const LISTING_COLUMNS = 'd.udid, dp.*';

/**
 * Desired against known state per device and profile (`device_profiles`): what the reconciler plans and the
 * API shows. The profile service is the only writer, under AssignmentsStore.lockDevices.
 */
export const DeviceProfilesStore = {
  /** The rows of these devices, by device. */
  async ofDevices(tx: Sql, deviceIds: readonly string[]): Promise<Map<string, StoredDeviceProfile[]>> {
    const rows = await select<DeviceProfileRow>(tx, `SELECT * FROM device_profiles WHERE device_id = ANY($1::uuid[])`, [deviceIds]);
    const out = new Map<string, StoredDeviceProfile[]>();
    for (const r of rows) out.set(r.device_id, [...(out.get(r.device_id) ?? []), fromRow(r)]);
    return out;
  },

  /** Writes the planned state; a row that is no longer failed loses its error chain. */
  async save(tx: Sql, deviceId: string, c: DeviceProfileChange): Promise<void> {
    await tx.query(
      `INSERT INTO device_profiles (device_id, profile_id, identifier, desired, desired_version, status, reason, conflicts, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (device_id, profile_id) DO UPDATE SET identifier = $3, desired = $4, desired_version = $5, status = $6, reason = $7,
         conflicts = $8, error_chain = CASE WHEN $6 = 'failed' THEN device_profiles.error_chain END, updated_at = now()`,
      [deviceId, c.profileId, c.identifier, c.desired, c.desiredVersion, c.status, c.reason, c.conflicts && JSON.stringify(c.conflicts)],
    );
  },

  async drop(tx: Sql, deviceId: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length) await tx.query(`DELETE FROM device_profiles WHERE device_id = $1 AND profile_id = ANY($2::uuid[])`, [deviceId, profileIds]);
  },

  /** Marks the rows of these devices as waiting on a planned command. */
  async awaitCommand(tx: Sql, profileCommandId: string, action: 'install' | 'remove', version: number | null, profileId: string, deviceIds: readonly string[]): Promise<void> {
    await tx.query(
      `UPDATE device_profiles SET profile_command_id = $1, action = $2, action_version = $3, updated_at = now()
        WHERE profile_id = $4 AND device_id = ANY($5::uuid[])`,
      [profileCommandId, action, version, profileId, deviceIds],
    );
  },

  /** The profile's rows, by UDID, paged. */
  async pageOfProfile(db: Sql, profileId: string, q: { status?: DeviceProfileStatus; limit: number; offset: number }): Promise<{ rows: DeviceProfileListing[]; total: number }> {
    const where = `dp.profile_id = $1 AND ($2::text IS NULL OR dp.status = $2)`;
    const [rows, count] = await Promise.all([
      select<DeviceProfileRow & { udid: string }>(db, `SELECT ${LISTING_COLUMNS} FROM device_profiles dp JOIN devices d ON d.id = dp.device_id WHERE ${where} ORDER BY d.udid LIMIT $3 OFFSET $4`, [
        profileId,
        q.status ?? null,
        q.limit,
        q.offset,
      ]),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM device_profiles dp WHERE ${where}`, [profileId, q.status ?? null]),
    ]);
    return { rows: rows.map(listing), total: count!.n };
  },

  /** The device's rows, by profile identifier. */
  async ofDevice(db: Sql, deviceId: string): Promise<DeviceProfileListing[]> {
    const rows = await select<DeviceProfileRow & { udid: string }>(
      db,
      `SELECT ${LISTING_COLUMNS} FROM device_profiles dp JOIN devices d ON d.id = dp.device_id WHERE dp.device_id = $1 ORDER BY dp.identifier`,
      [deviceId],
    );
    return rows.map(listing);
  },

  /** The profiles the device holds or should hold and isn't blocked from, oldest first, with their payloads. */
  async inForce(db: Sql, deviceId: string): Promise<Array<{ id: string; identifier: string; payloads: Array<{ type: string; settings: Record<string, unknown> }> }>> {
    return select(
      db,
      `SELECT p.id, p.identifier, p.payloads FROM device_profiles dp JOIN profiles p ON p.id = dp.profile_id
        WHERE dp.device_id = $1 AND dp.desired AND dp.status <> 'blocked' ORDER BY p.created_at`,
      [deviceId],
    );
  },

  /** Failed versions may be tried again; a row waiting on verification (`verifyingReason`) is no longer. */
  async forgetFailures(tx: Sql, deviceId: string, verifyingReason: string): Promise<void> {
    await tx.query(
      `UPDATE device_profiles SET failed_version = NULL, reason = CASE WHEN reason = $2 THEN NULL ELSE reason END, updated_at = now() WHERE device_id = $1`,
      [deviceId, verifyingReason],
    );
  },

  /** The devices whose rows wait on this planned command. */
  async devicesAwaiting(tx: Sql, profileCommandId: string): Promise<string[]> {
    return (await select<{ device_id: string }>(tx, `SELECT device_id FROM device_profiles WHERE profile_command_id = $1`, [profileCommandId])).map((d) => d.device_id);
  },

  /** The rows waiting on this command wait no more (to be planned afresh); answers their devices. */
  async release(tx: Sql, profileCommandId: string): Promise<string[]> {
    const rows = await select<{ device_id: string }>(
      tx,
      `UPDATE device_profiles SET action = NULL, profile_command_id = NULL, updated_at = now() WHERE profile_command_id = $1 RETURNING device_id`,
      [profileCommandId],
    );
    return rows.map((r) => r.device_id);
  },

  /** The rows waiting on this command fail with the reason, their version not to be tried again. */
  async failAwaiting(tx: Sql, profileCommandId: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE device_profiles SET status = 'failed', reason = $2, action = NULL, profile_command_id = NULL,
              failed_version = CASE WHEN action = 'remove' THEN 0 ELSE action_version END, updated_at = now()
        WHERE profile_command_id = $1`,
      [profileCommandId, reason],
    );
  },
};
