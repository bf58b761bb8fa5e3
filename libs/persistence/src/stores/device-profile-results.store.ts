import { select, selectOne, type Sql } from '../sql';

/** The row an InstallProfile / RemoveProfile result is for. */
export interface AwaitedResult {
  profileId: string;
  identifier: string;
  action: 'install' | 'remove';
  actionVersion: number | null;
  /** The profile still exists (a removal after a deletion is told apart from an unassignment). */
  profileExists: boolean;
}

/** A row as a ProfileList answer is applied to it. */
export interface ListedRow {
  profileId: string;
  identifier: string;
  desired: boolean;
  desiredVersion: number | null;
  status: string;
  reason: string | null;
  action: string | null;
  /** The profile's newest version ever recorded, null once it is deleted. */
  maxVersion: number | null;
}

/** Ends the row's in-flight action: every result update below does it. */
const END_ACTION = 'action = NULL, profile_command_id = NULL, updated_at = now()';

/** What devices answered, applied to `device_profiles` (the profile service, in the feed's transaction). */
export const DeviceProfileResultsStore = {
  /** The device's row waiting on this command, if the command is one of ours and still awaited. */
  async awaiting(tx: Sql, commandUuid: string, deviceId: string): Promise<AwaitedResult | undefined> {
    const row = await selectOne<{ profile_id: string; identifier: string; action: 'install' | 'remove'; action_version: number | null; exists: boolean }>(
      tx,
      `SELECT dp.profile_id, dp.identifier, dp.action, dp.action_version, EXISTS (SELECT 1 FROM profiles p WHERE p.id = dp.profile_id) AS exists
         FROM profile_commands pc JOIN device_profiles dp ON dp.profile_command_id = pc.id
        WHERE pc.command_uuid = $1 AND dp.device_id = $2`,
      [commandUuid, deviceId],
    );
    return row && { profileId: row.profile_id, identifier: row.identifier, action: row.action, actionVersion: row.action_version, profileExists: row.exists };
  },

  /** Installed, as the device says; pending with `reason` until a ProfileList confirms it. */
  async installAcknowledged(tx: Sql, deviceId: string, profileId: string, reason: string): Promise<void> {
    await tx.query(`UPDATE device_profiles SET status = 'pending', reason = $3, ${END_ACTION} WHERE device_id = $1 AND profile_id = $2`, [deviceId, profileId, reason]);
  },

  async removed(tx: Sql, deviceId: string, profileId: string): Promise<void> {
    await tx.query(`UPDATE device_profiles SET status = 'removed', reason = NULL, installed_version = NULL, ${END_ACTION} WHERE device_id = $1 AND profile_id = $2`, [
      deviceId,
      profileId,
    ]);
  },

  async failed(tx: Sql, deviceId: string, profileId: string, f: { reason: string; errorChain: readonly unknown[] | null; failedVersion: number | null }): Promise<void> {
    await tx.query(
      `UPDATE device_profiles SET status = 'failed', reason = $3, error_chain = $4, failed_version = $5, ${END_ACTION} WHERE device_id = $1 AND profile_id = $2`,
      [deviceId, profileId, f.reason, f.errorChain ? JSON.stringify(f.errorChain) : null, f.failedVersion],
    );
  },

  /** The device's rows, with each profile's newest version, to match a ProfileList answer against. */
  async forProfileList(tx: Sql, deviceId: string): Promise<ListedRow[]> {
    const rows = await select<{ profile_id: string; identifier: string; desired: boolean; desired_version: number | null; status: string; reason: string | null; action: string | null; max_version: number | null }>(
      tx,
      `SELECT dp.profile_id, dp.identifier, dp.desired, dp.desired_version, dp.status, dp.reason, dp.action,
              (SELECT max(v.version) FROM profile_versions v WHERE v.profile_id = dp.profile_id) AS max_version
         FROM device_profiles dp WHERE dp.device_id = $1`,
      [deviceId],
    );
    return rows.map((r) => ({
      profileId: r.profile_id,
      identifier: r.identifier,
      desired: r.desired,
      desiredVersion: r.desired_version,
      status: r.status,
      reason: r.reason,
      action: r.action,
      maxVersion: r.max_version,
    }));
  },

  /** What a ProfileList showed; `newlyFailed` also keeps the desired version from being tried again. */
  async listed(tx: Sql, deviceId: string, profileId: string, s: { installedVersion: number | null; status: string; reason: string | null; newlyFailed: boolean }): Promise<void> {
    await tx.query(
      `UPDATE device_profiles SET installed_version = $3, status = $4, reason = $5,
              failed_version = CASE WHEN $4 = 'failed' AND $6 THEN desired_version ELSE failed_version END, updated_at = now()
        WHERE device_id = $1 AND profile_id = $2`,
      [deviceId, profileId, s.installedVersion, s.status, s.reason, s.newlyFailed],
    );
  },

  /**
   * The enrollment ended and the device holds none of our profiles: desired ones wait for it to enroll
   * again (`pendingReason`), the others are removed. Answers what it held.
   */
  async forgetInstalled(tx: Sql, deviceId: string, pendingReason: string): Promise<Array<{ profileId: string; identifier: string; installedVersion: number }>> {
    const gone = await select<{ profile_id: string; identifier: string; installed_version: number }>(
      tx,
      `SELECT profile_id, identifier, installed_version FROM device_profiles WHERE device_id = $1 AND installed_version IS NOT NULL`,
      [deviceId],
    );
    await tx.query(
      `UPDATE device_profiles SET installed_version = NULL, action = NULL, profile_command_id = NULL, failed_version = NULL, error_chain = NULL,
              status = CASE WHEN desired THEN 'pending' ELSE 'removed' END,
              reason = CASE WHEN desired THEN $2::text END, updated_at = now()
        WHERE device_id = $1`,
      [deviceId, pendingReason],
    );
    return gone.map((g) => ({ profileId: g.profile_id, identifier: g.identifier, installedVersion: g.installed_version }));
  },
};
