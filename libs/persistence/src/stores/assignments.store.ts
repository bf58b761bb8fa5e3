import { select, type Sql } from '../sql';

export interface StoredAssignment {
  profileId: string;
  /** Exactly one of deviceId and groupId is set. */
  deviceId: string | null;
  groupId: string | null;
}

/**
 * Which profiles go to which devices and groups (`profile_assignments`), and the per-device lock every
 * writer of profile state takes. The profile service is the only writer.
 */
export const AssignmentsStore = {
  /**
   * Transaction locks on these devices, taken in one order by whoever changes a device's profile state, so
   * writers take turns per device and can't deadlock on each other's rows. Taking them again is free.
   */
  async lockDevices(tx: Sql, deviceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(deviceIds)].sort();
    if (!ids.length) return;
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtext('profile-reconcile'), hashtext(id::text)) FROM (SELECT unnest($1::uuid[]) AS id ORDER BY 1) AS sorted`,
      [ids],
    );
  },

  async assign(tx: Sql, profileId: string, deviceIds: readonly string[], groupIds: readonly string[]): Promise<void> {
    await tx.query(`INSERT INTO profile_assignments (profile_id, device_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [profileId, deviceIds]);
    await tx.query(`INSERT INTO profile_assignments (profile_id, group_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [profileId, groupIds]);
  },

  async unassign(tx: Sql, profileId: string, deviceIds: readonly string[], groupIds: readonly string[]): Promise<void> {
    await tx.query(`DELETE FROM profile_assignments WHERE profile_id = $1 AND (device_id = ANY($2::uuid[]) OR group_id = ANY($3::uuid[]))`, [
      profileId,
      deviceIds,
      groupIds,
    ]);
  },

  /** The UDIDs of the devices the profile is assigned to directly, sorted. */
  async assignedUdids(db: Sql, profileId: string): Promise<string[]> {
    const rows = await select<{ udid: string }>(
      db,
      `SELECT d.udid FROM profile_assignments a JOIN devices d ON d.id = a.device_id WHERE a.profile_id = $1 ORDER BY d.udid`,
      [profileId],
    );
    return rows.map((r) => r.udid);
  },

  /** The groups the profile is assigned to, by name. */
  async assignedGroups(db: Sql, profileId: string): Promise<Array<{ id: string; name: string }>> {
    return select(db, `SELECT g.id, g.name FROM profile_assignments a JOIN device_groups g ON g.id = a.group_id WHERE a.profile_id = $1 ORDER BY g.name`, [profileId]);
  },

  /** Devices the profile is assigned to directly, or that have a `device_profiles` row for it. */
  async devicesHoldingOrAssigned(tx: Sql, profileId: string): Promise<string[]> {
    const rows = await select<{ id: string }>(
      tx,
      `SELECT device_id AS id FROM profile_assignments WHERE profile_id = $1 AND device_id IS NOT NULL
       UNION SELECT device_id FROM device_profiles WHERE profile_id = $1`,
      [profileId],
    );
    return rows.map((r) => r.id);
  },

  async groupsOfProfile(tx: Sql, profileId: string): Promise<string[]> {
    const rows = await select<{ group_id: string }>(tx, `SELECT group_id FROM profile_assignments WHERE profile_id = $1 AND group_id IS NOT NULL`, [profileId]);
    return rows.map((r) => r.group_id);
  },

  /** The assignments that may reach these devices: theirs, and every group assignment. */
  async reaching(tx: Sql, deviceIds: readonly string[]): Promise<StoredAssignment[]> {
    const rows = await select<{ profile_id: string; device_id: string | null; group_id: string | null }>(
      tx,
      `SELECT profile_id, device_id, group_id FROM profile_assignments WHERE device_id = ANY($1::uuid[]) OR group_id IS NOT NULL`,
      [deviceIds],
    );
    return rows.map((r) => ({ profileId: r.profile_id, deviceId: r.device_id, groupId: r.group_id }));
  },

  /** Enrolled devices that have profile state or may be targeted, for the periodic sweep. */
  async devicesToSweep(db: Sql): Promise<string[]> {
    const rows = await select<{ id: string }>(
      db,
      `SELECT id FROM devices WHERE enrolled AND (EXISTS (SELECT 1 FROM device_profiles dp WHERE dp.device_id = devices.id)
          OR EXISTS (SELECT 1 FROM profile_assignments a WHERE a.group_id IS NOT NULL) OR EXISTS (SELECT 1 FROM profile_assignments a WHERE a.device_id = devices.id))
        ORDER BY id`,
    );
    return rows.map((r) => r.id);
  },
};
