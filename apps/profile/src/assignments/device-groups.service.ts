import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import type { CreateDeviceGroupRequest, DeviceGroupListQuery, DeviceGroupRule, OffsetPage } from '@mdm/contracts';
import { AssignmentsService } from './assignments.service';
import { ReconcilerService } from './reconciler.service';

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

interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  rule: DeviceGroupRule | null;
  created_at: Date;
}

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
        const rows: Array<{ id: string }> = await tx.query(`INSERT INTO device_groups (name, description, rule) VALUES ($1, $2, $3) RETURNING id`, [
          req.name,
          req.description ?? null,
          req.rule ? JSON.stringify(req.rule) : null,
        ]);
        const groupId = rows[0]!.id;
        if (req.udids?.length) await this.insertMembers(tx, groupId, req.udids);
        return groupId;
      }),
    );
    return this.get(id);
  }

  async list(q: DeviceGroupListQuery): Promise<OffsetPage<'groups', DeviceGroupView>> {
    const where = q.kind === undefined ? 'true' : q.kind === 'static' ? 'rule IS NULL' : 'rule IS NOT NULL';
    const column = { name: 'name', createdAt: 'created_at' }[q.sort];
    const [rows, total]: [GroupRow[], Array<{ n: number }>] = await Promise.all([
      this.db.query(
        `SELECT id, name, description, rule, created_at FROM device_groups WHERE ${where}
          ORDER BY ${column} ${q.order === 'desc' ? 'DESC' : 'ASC'}, id LIMIT $1 OFFSET $2`,
        [q.limit, q.offset],
      ),
      this.db.query(`SELECT count(*)::int AS n FROM device_groups WHERE ${where}`),
    ]);
    return { groups: await Promise.all(rows.map((r) => this.view(r))), total: total[0]!.n, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<DeviceGroupView> {
    return this.view(await this.row(this.db.manager, id));
  }

  async update(id: string, req: { name?: string; description?: string | null; rule?: DeviceGroupRule }): Promise<DeviceGroupView> {
    const affected = await this.unique(req.name ?? '', () =>
      this.db.transaction(async (tx) => {
        const current = await this.row(tx, id, true);
        if (req.rule && current.rule === null) throw new ConflictException('rule: a static group keeps listed members; create a dynamic group instead');
        const before = await this.reconciler.devicesOfGroup(tx, id);
        await tx.query(
          `UPDATE device_groups SET name = COALESCE($2, name), description = CASE WHEN $3::boolean THEN $4 ELSE description END,
                  rule = COALESCE($5, rule), updated_at = now() WHERE id = $1`,
          [id, req.name ?? null, req.description !== undefined, req.description ?? null, req.rule ? JSON.stringify(req.rule) : null],
        );
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
      await tx.query(`DELETE FROM device_groups WHERE id = $1`, [id]);
      return members;
    });
    await this.assignments.reconcileMany(affected);
  }

  async members(id: string): Promise<{ groupId: string; udids: string[] }> {
    const ids = await this.reconciler.devicesOfGroup(this.db.manager, (await this.row(this.db.manager, id)).id);
    const rows: Array<{ udid: string }> = await this.db.query(`SELECT udid FROM devices WHERE id = ANY($1::uuid[]) ORDER BY udid`, [ids]);
    return { groupId: id, udids: rows.map((r) => r.udid) };
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
      await tx.query(`DELETE FROM device_group_members WHERE group_id = $1 AND device_id = ANY($2::uuid[])`, [id, ids]);
      return ids;
    });
    await this.assignments.reconcileMany(deviceIds);
    return this.members(id);
  }

  private async insertMembers(tx: EntityManager, groupId: string, udids: readonly string[]): Promise<string[]> {
    const ids = await this.assignments.deviceIds(tx, udids);
    await tx.query(`INSERT INTO device_group_members (group_id, device_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [groupId, ids]);
    return ids;
  }

  private async staticGroup(tx: EntityManager, id: string): Promise<void> {
    const group = await this.row(tx, id, true);
    if (group.rule !== null) throw new ConflictException(`device group ${group.name} is dynamic: its members follow its rule`);
  }

  private async row(tx: EntityManager, id: string, lock = false): Promise<GroupRow> {
    const rows: GroupRow[] = await tx.query(`SELECT id, name, description, rule, created_at FROM device_groups WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!rows[0]) throw new NotFoundException(`device group ${id} not found`);
    return rows[0];
  }

  private async view(r: GroupRow): Promise<DeviceGroupView> {
    const devices = await this.reconciler.devicesOfGroup(this.db.manager, r.id);
    return { id: r.id, name: r.name, description: r.description, rule: r.rule, devices: devices.length, createdAt: r.created_at.toISOString() };
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
