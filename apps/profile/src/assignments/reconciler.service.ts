import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { DeviceGroupRule } from '@mdm/contracts';
import { recordEvents, type StoredPayload } from '@mdm/persistence';
import { type Conflict, type DesiredProfile, type DeviceFacts, type DeviceProfileRow, matchesRule, planDevice } from './plan';

/** Devices reconciled per transaction when an assignment or a profile change touches a whole fleet. */
export const RECONCILE_CHUNK = 500;

type ProfileCommandAction = 'install' | 'remove' | 'list';

/**
 * Desired state against known state, per device, inside the caller's transaction: rows of
 * `device_profiles` updated and the InstallProfile / RemoveProfile commands planned in the
 * `profile_commands` outbox (grouped: one command for every device that needs the same profile version).
 */
@Injectable()
export class ReconcilerService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Reconciles many devices in transactions of RECONCILE_CHUNK (a fleet-wide change). */
  async reconcileMany(deviceIds: readonly string[]): Promise<void> {
    for (let i = 0; i < deviceIds.length; i += RECONCILE_CHUNK) {
      await this.db.transaction((tx) => this.reconcile(tx, deviceIds.slice(i, i + RECONCILE_CHUNK)));
    }
  }

  async reconcile(tx: EntityManager, deviceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(deviceIds)].sort();
    if (!ids.length) return;
    await this.lockDevices(tx, ids);
    const devices = await this.facts(tx, ids);
    const desired = await this.desired(tx, devices);
    const rows = await this.rows(tx, ids);

    const installs = new Map<string, { profileId: string; version: number; identifier: string; devices: DeviceFacts[] }>();
    const removes = new Map<string, { profileId: string; identifier: string; devices: DeviceFacts[] }>();
    for (const device of devices) {
      const plan = planDevice(device, desired.get(device.id) ?? [], rows.get(device.id) ?? []);
      for (const c of plan.changes) {
        await tx.query(
          `INSERT INTO device_profiles (device_id, profile_id, identifier, desired, desired_version, status, reason, conflicts, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
           ON CONFLICT (device_id, profile_id) DO UPDATE SET identifier = $3, desired = $4, desired_version = $5, status = $6, reason = $7,
             conflicts = $8, error_chain = CASE WHEN $6 = 'failed' THEN device_profiles.error_chain END, updated_at = now()`,
          [device.id, c.profileId, c.identifier, c.desired, c.desiredVersion, c.status, c.reason, c.conflicts && JSON.stringify(c.conflicts)],
        );
        if (c.action?.kind === 'install') {
          const key = `${c.profileId}/${c.action.version}`;
          const group = installs.get(key) ?? { profileId: c.profileId, version: c.action.version, identifier: c.identifier, devices: [] };
          group.devices.push(device);
          installs.set(key, group);
        } else if (c.action?.kind === 'remove') {
          const group = removes.get(c.profileId) ?? { profileId: c.profileId, identifier: c.identifier, devices: [] };
          group.devices.push(device);
          removes.set(c.profileId, group);
        }
      }
      if (plan.drop.length) await tx.query(`DELETE FROM device_profiles WHERE device_id = $1 AND profile_id = ANY($2::uuid[])`, [device.id, plan.drop]);
      if (plan.newConflicts.length) {
        await recordEvents(
          tx,
          plan.newConflicts.map((c) => ({ type: 'profile.conflict' as const, data: { udid: device.udid, deviceId: device.id, payloadType: c.payloadType, profiles: c.profiles } })),
        );
      }
    }
    for (const g of installs.values()) await this.planCommand(tx, 'install', g, g.version);
    for (const g of removes.values()) await this.planCommand(tx, 'remove', g, null);
  }

  /**
   * Whoever changes a device's profile state (an API call, a device's answer, the sweep, the submitter)
   * takes these transaction locks first, all of them, in one order: they take turns per device and can't
   * deadlock on each other's rows. Taking them again later in the same transaction is free.
   */
  async lockDevices(tx: EntityManager, deviceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(deviceIds)].sort();
    if (!ids.length) return;
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtext('profile-reconcile'), hashtext(id::text)) FROM (SELECT unnest($1::uuid[]) AS id ORDER BY 1) AS sorted`,
      [ids],
    );
  }

  /** A ProfileList for these devices, so what they hold is known again. */
  async planProfileList(tx: EntityManager, devices: ReadonlyArray<{ udid: string }>): Promise<void> {
    if (devices.length) await this.outbox(tx, 'list', null, null, null, devices.map((d) => d.udid));
  }

  /** Every device the profile is assigned to, directly or through a group, or that has a row for it. */
  async devicesOfProfile(tx: EntityManager, profileId: string): Promise<string[]> {
    const direct: Array<{ id: string }> = await tx.query(
      `SELECT device_id AS id FROM profile_assignments WHERE profile_id = $1 AND device_id IS NOT NULL
       UNION SELECT device_id FROM device_profiles WHERE profile_id = $1`,
      [profileId],
    );
    const groups: Array<{ group_id: string }> = await tx.query(`SELECT group_id FROM profile_assignments WHERE profile_id = $1 AND group_id IS NOT NULL`, [profileId]);
    const ids = new Set(direct.map((r) => r.id));
    for (const g of groups) for (const id of await this.devicesOfGroup(tx, g.group_id)) ids.add(id);
    return [...ids];
  }

  /** The group's devices: its listed members, or every device its rule matches now. */
  async devicesOfGroup(tx: EntityManager, groupId: string): Promise<string[]> {
    const groups: Array<{ rule: unknown }> = await tx.query(`SELECT rule FROM device_groups WHERE id = $1`, [groupId]);
    const group = groups[0];
    if (!group) return [];
    if (group.rule === null) {
      const members: Array<{ device_id: string }> = await tx.query(`SELECT device_id FROM device_group_members WHERE group_id = $1`, [groupId]);
      return members.map((m) => m.device_id);
    }
    const rule = DeviceGroupRule.parse(group.rule);
    const all = await this.facts(tx, null);
    return all.filter((d) => matchesRule(rule, d)).map((d) => d.id);
  }

  private async facts(tx: EntityManager, ids: readonly string[] | null): Promise<DeviceFacts[]> {
    const rows: Array<{ id: string; udid: string; enrolled: boolean; inventoried: boolean; is_supervised: boolean | null; os_version: string | null; product_name: string | null }> =
      await tx.query(
        `SELECT id, udid, enrolled, device_information IS NOT NULL AS inventoried, is_supervised, os_version, product_name
           FROM devices WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]) ORDER BY id`,
        [ids],
      );
    return rows.map((r) => ({
      id: r.id,
      udid: r.udid,
      enrolled: r.enrolled,
      inventoried: r.inventoried,
      supervised: r.is_supervised,
      osVersion: r.os_version,
      productName: r.product_name,
    }));
  }

  /** Per device, the profiles assigned to it directly or through a static or dynamic group. */
  private async desired(tx: EntityManager, devices: readonly DeviceFacts[]): Promise<Map<string, DesiredProfile[]>> {
    const ids = devices.map((d) => d.id);
    const assignments: Array<{ profile_id: string; device_id: string | null; group_id: string | null }> = await tx.query(
      `SELECT profile_id, device_id, group_id FROM profile_assignments WHERE device_id = ANY($1::uuid[]) OR group_id IS NOT NULL`,
      [ids],
    );
    const members: Array<{ group_id: string; device_id: string }> = await tx.query(
      `SELECT group_id, device_id FROM device_group_members WHERE device_id = ANY($1::uuid[])`,
      [ids],
    );
    const rules: Array<{ id: string; rule: unknown }> = await tx.query(`SELECT id, rule FROM device_groups WHERE rule IS NOT NULL`);
    const profiles: Array<{ id: string; identifier: string; version: number; created_at: Date; payloads: StoredPayload[] }> = await tx.query(
      `SELECT id, identifier, version, created_at, payloads FROM profiles WHERE id = ANY($1::uuid[])`,
      [[...new Set(assignments.map((a) => a.profile_id))]],
    );
    const byProfile = new Map<string, DesiredProfile>(
      profiles.map((p) => [p.id, { profileId: p.id, identifier: p.identifier, version: p.version, createdAt: p.created_at, payloadTypes: p.payloads.map((x) => x.type) }]),
    );
    const parsedRules = rules.map((r) => ({ id: r.id, rule: DeviceGroupRule.parse(r.rule) }));
    const out = new Map<string, DesiredProfile[]>();
    for (const d of devices) {
      const groups = new Set([...members.filter((m) => m.device_id === d.id).map((m) => m.group_id), ...parsedRules.filter((r) => matchesRule(r.rule, d)).map((r) => r.id)]);
      const wanted = new Set(assignments.filter((a) => a.device_id === d.id || (a.group_id !== null && groups.has(a.group_id))).map((a) => a.profile_id));
      out.set(d.id, [...wanted].flatMap((id) => byProfile.get(id) ?? []));
    }
    return out;
  }

  private async rows(tx: EntityManager, ids: readonly string[]): Promise<Map<string, DeviceProfileRow[]>> {
    const rows: Array<{
      device_id: string;
      profile_id: string;
      identifier: string;
      desired: boolean;
      desired_version: number | null;
      installed_version: number | null;
      status: DeviceProfileRow['status'];
      reason: string | null;
      conflicts: Conflict[] | null;
      action: DeviceProfileRow['action'];
      failed_version: number | null;
    }> = await tx.query(`SELECT * FROM device_profiles WHERE device_id = ANY($1::uuid[])`, [ids]);
    const out = new Map<string, DeviceProfileRow[]>();
    for (const r of rows) {
      const list = out.get(r.device_id) ?? [];
      list.push({
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
      });
      out.set(r.device_id, list);
    }
    return out;
  }

  private async planCommand(
    tx: EntityManager,
    action: 'install' | 'remove',
    g: { profileId: string; identifier: string; devices: DeviceFacts[] },
    version: number | null,
  ): Promise<void> {
    const id = await this.outbox(tx, action, g.profileId, version, g.identifier, g.devices.map((d) => d.udid));
    await tx.query(
      `UPDATE device_profiles SET profile_command_id = $1, action = $2, action_version = $3, updated_at = now()
        WHERE profile_id = $4 AND device_id = ANY($5::uuid[])`,
      [id, action, version, g.profileId, g.devices.map((d) => d.id)],
    );
  }

  private async outbox(tx: EntityManager, action: ProfileCommandAction, profileId: string | null, version: number | null, identifier: string | null, udids: string[]): Promise<string> {
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO profile_commands (action, profile_id, version, identifier, udids) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [action, profileId, version, identifier, udids],
    );
    return rows[0]!.id;
  }
}
