import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { type CreateDeviceGroupRequest, type DeviceGroupListQuery, type DeviceGroupRule, type DeviceGroupView, type OffsetPage } from '@mdm/contracts';
import { DeviceFactsStore, DeviceGroupsStore, type Sql, type StoredDeviceGroup } from '@mdm/persistence';
import { AssignmentsService } from './assignments.service';
import { ReconcilerService } from './reconciler.service';

/** Static groups (listed devices) and dynamic ones (a rule on supervision, iOS version, model). */
@Injectable()
export class DeviceGroupsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reconciler: ReconcilerService,
    private readonly assignments: AssignmentsService,
  ) {}

  async create(req: CreateDeviceGroupRequest): Promise<DeviceGroupView> {
    const id = await this.unique(req.name, () =>
      this.db.transaction(async (tx) => {
        const groupId = await DeviceGroupsStore.create(tx, { name: req.name, description: req.description ?? null, rule: req.rule ?? null });
        if (req.udids?.length) await this.insertMembers(tx, groupId, req.udids);
        return groupId;
      }),
    );
    return this.get(id);
  }

  async list(q: DeviceGroupListQuery): Promise<OffsetPage<'groups', DeviceGroupView>> {
    const { groups, total } = await DeviceGroupsStore.list(this.db, q);
    return { groups: await Promise.all(groups.map((r) => this.view(r))), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<DeviceGroupView> {
    return this.view(await this.row(this.db, id));
  }

  async update(id: string, req: { name?: string; description?: string | null; rule?: DeviceGroupRule }): Promise<DeviceGroupView> {
    const affected = await this.unique(req.name ?? '', () =>
      this.db.transaction(async (tx) => {
        const current = await this.row(tx, id, true);
        if (req.rule && current.rule === null) throw new ConflictException('rule: a static group keeps listed members; create a dynamic group instead');
        const before = await this.reconciler.devicesOfGroup(tx, id);
        await DeviceGroupsStore.update(tx, id, req);
        return [...new Set([...before, ...(await this.reconciler.devicesOfGroup(tx, id))])];
      }),
    );
    await this.assignments.reconcileMany(affected);
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const affected = await this.db.transaction(async (tx) => {
      await this.row(tx, id, true);
      const members = await this.reconciler.devicesOfGroup(tx, id);
      await DeviceGroupsStore.delete(tx, id);
      return members;
    });
    await this.assignments.reconcileMany(affected);
  }

  async members(id: string): Promise<{ groupId: string; udids: string[] }> {
    const ids = await this.reconciler.devicesOfGroup(this.db, (await this.row(this.db, id)).id);
    return { groupId: id, udids: await DeviceFactsStore.udidsOf(this.db, ids) };
  }

  async addMembers(id: string, udids: readonly string[]): Promise<{ groupId: string; udids: string[] }> {
    const deviceIds = await this.db.transaction(async (tx) => {
      await this.staticGroup(tx, id);
      return this.insertMembers(tx, id, udids);
    });
    await this.assignments.reconcileMany(deviceIds);
    return this.members(id);
  }

  async removeMembers(id: string, udids: readonly string[]): Promise<{ groupId: string; udids: string[] }> {
    const deviceIds = await this.db.transaction(async (tx) => {
      await this.staticGroup(tx, id);
      const ids = await this.assignments.deviceIds(tx, udids);
      await DeviceGroupsStore.removeMembers(tx, id, ids);
      return ids;
    });
    await this.assignments.reconcileMany(deviceIds);
    return this.members(id);
  }

  private async insertMembers(tx: Sql, groupId: string, udids: readonly string[]): Promise<string[]> {
    const ids = await this.assignments.deviceIds(tx, udids);
    await DeviceGroupsStore.addMembers(tx, groupId, ids);
    return ids;
  }

  private async staticGroup(tx: Sql, id: string): Promise<void> {
    const group = await this.row(tx, id, true);
    if (group.rule !== null) throw new ConflictException(`device group ${group.name} is dynamic: its members follow its rule`);
  }

  private async row(tx: Sql, id: string, lock = false): Promise<StoredDeviceGroup> {
    const group = await DeviceGroupsStore.byId(tx, id, lock);
    if (!group) throw new NotFoundException(`device group ${id} not found`);
    return group;
  }

  private async view(r: StoredDeviceGroup): Promise<DeviceGroupView> {
    const devices = await this.reconciler.devicesOfGroup(this.db, r.id);
    return { id: r.id, name: r.name, description: r.description, rule: r.rule, devices: devices.length, createdAt: r.createdAt.toISOString() };
  }

  private async unique<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505') {
        throw new ConflictException(`name: a device group named ${name} exists already`);
      }
      throw err;
    }
  }
}
