import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeviceProfileStatus, ProfileAssignmentRequest } from '@mdm/contracts';
import type { JsonValue } from '@mdm/persistence';
import { effectiveSettings, type EffectiveSettings } from '@mdm/protocol';
import type { Conflict } from './plan';
import { VERIFYING } from './plan';
import { ProfileCommandsSubmitter } from './profile-commands.submitter';
import { RECONCILE_CHUNK, ReconcilerService } from './reconciler.service';

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
  conflicts: Conflict[] | null;
  pendingAction: 'install' | 'remove' | null;
  updatedAt: string;
}

interface RowRecord {
  udid: string;
  profile_id: string;
  identifier: string;
  desired: boolean;
  desired_version: number | null;
  installed_version: number | null;
  status: DeviceProfileStatus;
  reason: string | null;
  error_chain: JsonValue[] | null;
  conflicts: Conflict[] | null;
  action: 'install' | 'remove' | null;
  updated_at: Date;
}

const ROW_COLUMNS = `d.udid, dp.profile_id, dp.identifier, dp.desired, dp.desired_version, dp.installed_version, dp.status, dp.reason,
  dp.error_chain, dp.conflicts, dp.action, dp.updated_at`;

/** Assignments of profiles to devices and groups, and the per-device state they lead to. */
@Injectable()
export class AssignmentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reconciler: ReconcilerService,
    private readonly submitter: ProfileCommandsSubmitter,
  ) {}

  async assign(profileId: string, req: ProfileAssignmentRequest): Promise<{ profileId: string; devices: number; groups: number }> {
    return this.change(profileId, req, async (tx, deviceIds, groupIds) => {
      await tx.query(
        `INSERT INTO profile_assignments (profile_id, device_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
        [profileId, deviceIds],
      );
      await tx.query(
        `INSERT INTO profile_assignments (profile_id, group_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
        [profileId, groupIds],
      );
    });
  }

  async unassign(profileId: string, req: ProfileAssignmentRequest): Promise<{ profileId: string; devices: number; groups: number }> {
    return this.change(profileId, req, async (tx, deviceIds, groupIds) => {
      await tx.query(`DELETE FROM profile_assignments WHERE profile_id = $1 AND (device_id = ANY($2::uuid[]) OR group_id = ANY($3::uuid[]))`, [
        profileId,
        deviceIds,
        groupIds,
      ]);
    });
  }

  async assignments(profileId: string): Promise<{ profileId: string; udids: string[]; groups: Array<{ id: string; name: string }> }> {
    await this.profileExists(this.db.manager, profileId);
    const devices: Array<{ udid: string }> = await this.db.query(
      `SELECT d.udid FROM profile_assignments a JOIN devices d ON d.id = a.device_id WHERE a.profile_id = $1 ORDER BY d.udid`,
      [profileId],
    );
    const groups: Array<{ id: string; name: string }> = await this.db.query(
      `SELECT g.id, g.name FROM profile_assignments a JOIN device_groups g ON g.id = a.group_id WHERE a.profile_id = $1 ORDER BY g.name`,
      [profileId],
    );
    return { profileId, udids: devices.map((d) => d.udid), groups };
  }

  /** The profile's state on every device it targets (or targeted), paged. */
  async profileDevices(profileId: string, q: { status?: DeviceProfileStatus; limit: number; offset: number }): Promise<{ total: number; limit: number; offset: number; devices: DeviceProfileView[] }> {
    await this.profileExists(this.db.manager, profileId);
    const where = `dp.profile_id = $1 AND ($2::text IS NULL OR dp.status = $2)`;
    const [rows, count] = await Promise.all([
      this.db.query(`SELECT ${ROW_COLUMNS} FROM device_profiles dp JOIN devices d ON d.id = dp.device_id WHERE ${where} ORDER BY d.udid LIMIT $3 OFFSET $4`, [
        profileId,
        q.status ?? null,
        q.limit,
        q.offset,
      ]) as Promise<RowRecord[]>,
      this.db.query(`SELECT count(*)::int AS n FROM device_profiles dp WHERE ${where}`, [profileId, q.status ?? null]) as Promise<Array<{ n: number }>>,
    ]);
    return { total: count[0]!.n, limit: q.limit, offset: q.offset, devices: rows.map(rowView) };
  }

  /**
   * A device's profiles with their state, and the restrictions and passcode policy in force: per key,
   * the most restrictive value among the profiles it holds or should hold, and which profile decided it.
   */
  async deviceProfiles(udid: string): Promise<{ udid: string; profiles: DeviceProfileView[]; effective: EffectiveSettings[] }> {
    const deviceId = await this.deviceId(this.db.manager, udid);
    const rows: RowRecord[] = await this.db.query(
      `SELECT ${ROW_COLUMNS} FROM device_profiles dp JOIN devices d ON d.id = dp.device_id WHERE dp.device_id = $1 ORDER BY dp.identifier`,
      [deviceId],
    );
    const inForce: Array<{ id: string; identifier: string; payloads: Array<{ type: string; settings: Record<string, unknown> }> }> = await this.db.query(
      `SELECT p.id, p.identifier, p.payloads FROM device_profiles dp JOIN profiles p ON p.id = dp.profile_id
        WHERE dp.device_id = $1 AND dp.desired AND dp.status <> 'blocked' ORDER BY p.created_at`,
      [deviceId],
    );
    const sources = inForce.flatMap((p) => p.payloads.map((x) => ({ profileId: p.id, identifier: p.identifier, payloadType: x.type, settings: x.settings })));
    return { udid, profiles: rows.map(rowView), effective: effectiveSettings(sources) };
  }

  /**
   * Starts over for one device: failed versions may be tried again, and a ProfileList re-reads what the
   * device holds before anything is decided.
   */
  async reconcileDevice(udid: string): Promise<{ udid: string; profiles: DeviceProfileView[] }> {
    await this.db.transaction(async (tx) => {
      const deviceId = await this.deviceId(tx, udid);
      await this.reconciler.lockDevices(tx, [deviceId]);
      await tx.query(
        `UPDATE device_profiles SET failed_version = NULL, reason = CASE WHEN reason = $2 THEN NULL ELSE reason END, updated_at = now() WHERE device_id = $1`,
        [deviceId, VERIFYING],
      );
      const enrolled: Array<{ enrolled: boolean }> = await tx.query(`SELECT enrolled FROM devices WHERE id = $1`, [deviceId]);
      if (enrolled[0]?.enrolled) await this.reconciler.planProfileList(tx, [{ udid }]);
      await this.reconciler.reconcile(tx, [deviceId]);
    });
    this.submitter.kick();
    const { profiles } = await this.deviceProfiles(udid);
    return { udid, profiles };
  }

  /** Reconciles devices in transactions of RECONCILE_CHUNK, then hands the planned commands over. */
  async reconcileMany(deviceIds: readonly string[]): Promise<void> {
    await this.reconciler.reconcileMany(deviceIds);
    this.submitter.kick();
  }

  private async change(
    profileId: string,
    req: ProfileAssignmentRequest,
    write: (tx: EntityManager, deviceIds: string[], groupIds: string[]) => Promise<void>,
  ): Promise<{ profileId: string; devices: number; groups: number }> {
    const affected = await this.db.transaction(async (tx) => {
      await this.profileExists(tx, profileId);
      const deviceIds = await this.deviceIds(tx, req.udids);
      const groupIds = [...new Set(req.groupIds)];
      const found: Array<{ id: string }> = await tx.query(`SELECT id FROM device_groups WHERE id = ANY($1::uuid[])`, [groupIds]);
      const missing = groupIds.filter((g) => !found.some((f) => f.id === g));
      if (missing.length) throw new NotFoundException(`unknown device group(s): ${missing.slice(0, 20).join(', ')}`);
      await write(tx, deviceIds, groupIds);
      const ids = new Set(deviceIds);
      for (const g of groupIds) for (const id of await this.reconciler.devicesOfGroup(tx, g)) ids.add(id);
      const all = [...ids];
      // A small change is reconciled with the assignment itself; a fleet-wide one continues in chunks
      // (the periodic sweep finishes it should the service stop half-way).
      await this.reconciler.reconcile(tx, all.slice(0, RECONCILE_CHUNK));
      return all;
    });
    await this.reconcileMany(affected.slice(RECONCILE_CHUNK));
    return { profileId, devices: req.udids.length, groups: req.groupIds.length };
  }

  private async profileExists(tx: EntityManager, profileId: string): Promise<void> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM profiles WHERE id = $1`, [profileId]);
    if (!rows.length) throw new NotFoundException(`profile ${profileId} not found`);
  }

  private async deviceId(tx: EntityManager, udid: string): Promise<string> {
    const [id] = await this.deviceIds(tx, [udid]);
    return id!;
  }

  /** Device row ids for UDIDs; 404 naming the unknown ones. */
  async deviceIds(tx: EntityManager, udids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(udids)];
    const rows: Array<{ id: string; udid: string }> = await tx.query(`SELECT id, udid FROM devices WHERE udid = ANY($1::text[])`, [unique]);
    const known = new Set(rows.map((r) => r.udid));
    const unknown = unique.filter((u) => !known.has(u));
    if (unknown.length) throw new NotFoundException(`unknown device(s): ${unknown.slice(0, 20).join(', ')}`);
    return rows.map((r) => r.id);
  }
}

function rowView(r: RowRecord): DeviceProfileView {
  return {
    udid: r.udid,
    profileId: r.profile_id,
    identifier: r.identifier,
    desired: r.desired,
    desiredVersion: r.desired_version,
    installedVersion: r.installed_version,
    status: r.status,
    reason: r.reason,
    errorChain: r.error_chain,
    conflicts: r.conflicts,
    pendingAction: r.action,
    updatedAt: r.updated_at.toISOString(),
  };
}
