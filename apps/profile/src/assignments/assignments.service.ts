import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type DeviceProfileStatus, type DeviceProfileView, type ProfileAssignmentRequest } from '@mdm/contracts';
import { AssignmentsStore, DeviceFactsStore, type DeviceProfileListing, DeviceGroupsStore, DeviceProfilesStore, ProfilesStore, type Sql } from '@mdm/persistence';
import { effectiveSettings, type EffectiveSettings } from '@mdm/protocol';
import { VERIFYING } from './plan';
import { ProfileCommandsSubmitter } from './profile-commands.submitter';
import { RECONCILE_CHUNK, ReconcilerService } from './reconciler.service';

/** Assignments of profiles to devices and groups, and the per-device state they lead to. */
@Injectable()
export class AssignmentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reconciler: ReconcilerService,
    private readonly submitter: ProfileCommandsSubmitter,
  ) {}

  async assign(profileId: string, req: ProfileAssignmentRequest): Promise<{ profileId: string; devices: number; groups: number }> {
    return this.change(profileId, req, (tx, deviceIds, groupIds) => AssignmentsStore.assign(tx, profileId, deviceIds, groupIds));
  }

  async unassign(profileId: string, req: ProfileAssignmentRequest): Promise<{ profileId: string; devices: number; groups: number }> {
    return this.change(profileId, req, (tx, deviceIds, groupIds) => AssignmentsStore.unassign(tx, profileId, deviceIds, groupIds));
  }

  async assignments(profileId: string): Promise<{ profileId: string; udids: string[]; groups: Array<{ id: string; name: string }> }> {
    await this.profileExists(this.db, profileId);
    const udids = await AssignmentsStore.assignedUdids(this.db, profileId);
    const groups = await AssignmentsStore.assignedGroups(this.db, profileId);
    return { profileId, udids, groups };
  }

  /** The profile's state on every device it targets (or targeted), paged. */
  async profileDevices(profileId: string, q: { status?: DeviceProfileStatus; limit: number; offset: number }): Promise<{ total: number; limit: number; offset: number; devices: DeviceProfileView[] }> {
    await this.profileExists(this.db, profileId);
    const { rows, total } = await DeviceProfilesStore.pageOfProfile(this.db, profileId, q);
    return { total, limit: q.limit, offset: q.offset, devices: rows.map(rowView) };
  }

  /**
   * A device's profiles with their state, and the restrictions and passcode policy in force: per key,
   * the most restrictive value among the profiles it holds or should hold, and which profile decided it.
   */
  async deviceProfiles(udid: string): Promise<{ udid: string; profiles: DeviceProfileView[]; effective: EffectiveSettings[] }> {
    const deviceId = await this.deviceId(this.db, udid);
    const rows = await DeviceProfilesStore.ofDevice(this.db, deviceId);
    const inForce = await DeviceProfilesStore.inForce(this.db, deviceId);
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
      await DeviceProfilesStore.forgetFailures(tx, deviceId, VERIFYING);
      if (await DeviceFactsStore.isEnrolled(tx, deviceId)) await this.reconciler.planProfileList(tx, [{ udid }]);
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
      const found = new Set(await DeviceGroupsStore.existing(tx, groupIds));
      const missing = groupIds.filter((g) => !found.has(g));
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

  private async profileExists(tx: Sql, profileId: string): Promise<void> {
    if (!(await ProfilesStore.exists(tx, profileId))) throw new NotFoundException(`profile ${profileId} not found`);
  }

  private async deviceId(tx: Sql, udid: string): Promise<string> {
    const [id] = await this.deviceIds(tx, [udid]);
    return id!;
  }

  /** Device row ids for UDIDs; 404 naming the unknown ones. */
  async deviceIds(tx: Sql, udids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(udids)];
    const rows = await DeviceFactsStore.byUdid(tx, unique);
    const known = new Set(rows.map((r) => r.udid));
    const unknown = unique.filter((u) => !known.has(u));
    if (unknown.length) throw new NotFoundException(`unknown device(s): ${unknown.slice(0, 20).join(', ')}`);
    return rows.map((r) => r.id);
  }
}

function rowView(r: DeviceProfileListing): DeviceProfileView {
  return {
    udid: r.udid,
    profileId: r.profileId,
    identifier: r.identifier,
    desired: r.desired,
    desiredVersion: r.desiredVersion,
    installedVersion: r.installedVersion,
    status: r.status,
    reason: r.reason,
    errorChain: r.errorChain,
    conflicts: r.conflicts,
    pendingAction: r.action,
    updatedAt: r.updatedAt.toISOString(),
  };
}
