import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DeviceGroupRule } from '@mdm/contracts';
import {
  AssignmentsStore,
  DeviceFactsStore,
  DeviceGroupsStore,
  DeviceProfilesStore,
  ProfileCommandsStore,
  ProfilesStore,
  recordEvents,
  type Sql,
} from '@mdm/persistence';
import { type DesiredProfile, type DeviceFacts, type DevicePlan, matchesRule, planDevice } from './plan';

/** Devices reconciled per transaction when an assignment or a profile change touches a whole fleet. */
export const RECONCILE_CHUNK = 500;

/** Devices that need the same InstallProfile (one version) or RemoveProfile: one command for them all. */
interface CommandGroup {
  action: 'install' | 'remove';
  profileId: string;
  version: number | null;
  identifier: string;
  devices: DeviceFacts[];
}

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

  async reconcile(tx: Sql, deviceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(deviceIds)].sort();
    if (!ids.length) return;
    await this.lockDevices(tx, ids);
    const devices = await DeviceFactsStore.facts(tx, ids);
    const desired = await this.desired(tx, devices);
    const rows = await DeviceProfilesStore.ofDevices(tx, ids);
    const commands = new Map<string, CommandGroup>();
    for (const device of devices) {
      const plan = planDevice(device, desired.get(device.id) ?? [], rows.get(device.id) ?? []);
      await this.apply(tx, device, plan);
      groupCommands(commands, device, plan);
    }
    // Installs first, then removals, each in the order devices first needed them.
    for (const g of commands.values()) if (g.action === 'install') await this.planCommand(tx, g);
    for (const g of commands.values()) if (g.action === 'remove') await this.planCommand(tx, g);
  }

  /**
   * Whoever changes a device's profile state (an API call, a device's answer, the sweep, the submitter)
   * takes these transaction locks first (AssignmentsStore.lockDevices).
   */
  async lockDevices(tx: Sql, deviceIds: readonly string[]): Promise<void> {
    await AssignmentsStore.lockDevices(tx, deviceIds);
  }

  /** A ProfileList for these devices, so what they hold is known again. */
  async planProfileList(tx: Sql, devices: ReadonlyArray<{ udid: string }>): Promise<void> {
    if (devices.length) await ProfileCommandsStore.plan(tx, { action: 'list', profileId: null, version: null, identifier: null, udids: devices.map((d) => d.udid) });
  }

  /** Every device the profile is assigned to, directly or through a group, or that has a row for it. */
  async devicesOfProfile(tx: Sql, profileId: string): Promise<string[]> {
    const ids = new Set(await AssignmentsStore.devicesHoldingOrAssigned(tx, profileId));
    for (const groupId of await AssignmentsStore.groupsOfProfile(tx, profileId)) for (const id of await this.devicesOfGroup(tx, groupId)) ids.add(id);
    return [...ids];
  }

  /** The group's devices: its listed members, or every device its rule matches now. */
  async devicesOfGroup(tx: Sql, groupId: string): Promise<string[]> {
    const group = await DeviceGroupsStore.byId(tx, groupId);
    if (!group) return [];
    if (group.rule === null) return DeviceGroupsStore.members(tx, groupId);
    const rule = DeviceGroupRule.parse(group.rule);
    const all = await DeviceFactsStore.facts(tx, null);
    return all.filter((d) => matchesRule(rule, d)).map((d) => d.id);
  }

  /** Writes one device's plan: its rows, the rows it no longer needs, the conflicts it newly has. */
  private async apply(tx: Sql, device: DeviceFacts, plan: DevicePlan): Promise<void> {
    for (const c of plan.changes) await DeviceProfilesStore.save(tx, device.id, c);
    await DeviceProfilesStore.drop(tx, device.id, plan.drop);
    if (plan.newConflicts.length) {
      await recordEvents(
        tx,
        plan.newConflicts.map((c) => ({ type: 'profile.conflict' as const, data: { udid: device.udid, deviceId: device.id, payloadType: c.payloadType, profiles: c.profiles } })),
      );
    }
  }

  /** Per device, the profiles assigned to it directly or through a static or dynamic group. */
  private async desired(tx: Sql, devices: readonly DeviceFacts[]): Promise<Map<string, DesiredProfile[]>> {
    const ids = devices.map((d) => d.id);
    const assignments = await AssignmentsStore.reaching(tx, ids);
    const members = await DeviceGroupsStore.membershipsOf(tx, ids);
    const rules = (await DeviceGroupsStore.dynamic(tx)).map((r) => ({ id: r.id, rule: DeviceGroupRule.parse(r.rule) }));
    const profiles = await ProfilesStore.desired(tx, [...new Set(assignments.map((a) => a.profileId))]);
    const byProfile = new Map<string, DesiredProfile>(profiles.map((p) => [p.id, { profileId: p.id, identifier: p.identifier, version: p.version, createdAt: p.createdAt, payloadTypes: p.payloadTypes }]));
    const out = new Map<string, DesiredProfile[]>();
    for (const d of devices) {
      const groups = new Set([...members.filter((m) => m.deviceId === d.id).map((m) => m.groupId), ...rules.filter((r) => matchesRule(r.rule, d)).map((r) => r.id)]);
      const wanted = new Set(assignments.filter((a) => a.deviceId === d.id || (a.groupId !== null && groups.has(a.groupId))).map((a) => a.profileId));
      out.set(d.id, [...wanted].flatMap((id) => byProfile.get(id) ?? []));
    }
    return out;
  }

  private async planCommand(tx: Sql, g: CommandGroup): Promise<void> {
    const id = await ProfileCommandsStore.plan(tx, { action: g.action, profileId: g.profileId, version: g.version, identifier: g.identifier, udids: g.devices.map((d) => d.udid) });
    await DeviceProfilesStore.awaitCommand(tx, id, g.action, g.version, g.profileId, g.devices.map((d) => d.id));
  }
}

/** Adds the device to the command group of each install or remove its plan asks for. */
function groupCommands(groups: Map<string, CommandGroup>, device: DeviceFacts, plan: DevicePlan): void {
  for (const c of plan.changes) {
    if (!c.action) continue;
    const version = c.action.kind === 'install' ? c.action.version : null;
    const key = `${c.action.kind}/${c.profileId}/${version ?? ''}`;
    const group = groups.get(key) ?? { action: c.action.kind, profileId: c.profileId, version, identifier: c.identifier, devices: [] };
    group.devices.push(device);
    groups.set(key, group);
  }
}
