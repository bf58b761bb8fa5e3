import type { DeviceGroupRule } from '@mdm/contracts';
import { rowCountOf, select, selectOne, type Sql } from '../sql';

export interface StoredDeviceGroup {
  id: string;
  name: string;
  description: string | null;
  /** null: a static group with listed members. */
  rule: DeviceGroupRule | null;
  createdAt: Date;
}

export interface DeviceGroupListFilter {
  kind?: 'static' | 'dynamic';
  sort: 'name' | 'createdAt';
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  rule: DeviceGroupRule | null;
  created_at: Date;
}

function fromRow(r: GroupRow): StoredDeviceGroup {
  return { id: r.id, name: r.name, description: r.description, rule: r.rule, createdAt: r.created_at };
}

const COLUMNS = 'id, name, description, rule, created_at';
const KIND_WHERE = { static: 'rule IS NULL', dynamic: 'rule IS NOT NULL' } as const;
const SORT_COLUMN = { name: 'name', createdAt: 'created_at' } as const;

/** Device groups and the members of static ones; the profile service is the only writer. */
export const DeviceGroupsStore = {
  /** A taken name fails with Postgres' unique violation (23505). */
  async create(tx: Sql, g: { name: string; description: string | null; rule: DeviceGroupRule | null }): Promise<string> {
    const row = await selectOne<{ id: string }>(tx, `INSERT INTO device_groups (name, description, rule) VALUES ($1, $2, $3) RETURNING id`, [
      g.name,
      g.description,
      g.rule ? JSON.stringify(g.rule) : null,
    ]);
    return row!.id;
  },

  async list(db: Sql, f: DeviceGroupListFilter): Promise<{ groups: StoredDeviceGroup[]; total: number }> {
    const where = f.kind === undefined ? 'true' : KIND_WHERE[f.kind];
    const [rows, count] = await Promise.all([
      select<GroupRow>(
        db,
        `SELECT ${COLUMNS} FROM device_groups WHERE ${where} ORDER BY ${SORT_COLUMN[f.sort]} ${f.order === 'desc' ? 'DESC' : 'ASC'}, id LIMIT $1 OFFSET $2`,
        [f.limit, f.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM device_groups WHERE ${where}`),
    ]);
    return { groups: rows.map(fromRow), total: count!.n };
  },

  /** The group; `lock` row-locks it for the rest of the transaction. */
  async byId(db: Sql, id: string, lock = false): Promise<StoredDeviceGroup | undefined> {
    const row = await selectOne<GroupRow>(db, `SELECT ${COLUMNS} FROM device_groups WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row && fromRow(row);
  },

  /** Of these ids, the groups that exist. */
  async existing(db: Sql, ids: readonly string[]): Promise<string[]> {
    return (await select<{ id: string }>(db, `SELECT id FROM device_groups WHERE id = ANY($1::uuid[])`, [ids])).map((r) => r.id);
  },

  /** Sets what is given: an undefined field keeps its value, a null description clears it. */
  async update(tx: Sql, id: string, patch: { name?: string; description?: string | null; rule?: DeviceGroupRule }): Promise<void> {
    await tx.query(
      `UPDATE device_groups SET name = COALESCE($2, name), description = CASE WHEN $3::boolean THEN $4 ELSE description END,
              rule = COALESCE($5, rule), updated_at = now() WHERE id = $1`,
      [id, patch.name ?? null, patch.description !== undefined, patch.description ?? null, patch.rule ? JSON.stringify(patch.rule) : null],
    );
  },

  async delete(tx: Sql, id: string): Promise<boolean> {
    return rowCountOf(await tx.query(`DELETE FROM device_groups WHERE id = $1`, [id])) > 0;
  },

  /** Every dynamic group with its rule. */
  async dynamic(db: Sql): Promise<Array<{ id: string; rule: DeviceGroupRule }>> {
    return select(db, `SELECT id, rule FROM device_groups WHERE rule IS NOT NULL`);
  },

  async addMembers(tx: Sql, groupId: string, deviceIds: readonly string[]): Promise<void> {
    await tx.query(`INSERT INTO device_group_members (group_id, device_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [groupId, deviceIds]);
  },

  async removeMembers(tx: Sql, groupId: string, deviceIds: readonly string[]): Promise<void> {
    await tx.query(`DELETE FROM device_group_members WHERE group_id = $1 AND device_id = ANY($2::uuid[])`, [groupId, deviceIds]);
  },

  /** The listed members of a static group. */
  async members(db: Sql, groupId: string): Promise<string[]> {
    return (await select<{ device_id: string }>(db, `SELECT device_id FROM device_group_members WHERE group_id = $1`, [groupId])).map((m) => m.device_id);
  },

  /** The static groups these devices are listed in. */
  async membershipsOf(db: Sql, deviceIds: readonly string[]): Promise<Array<{ groupId: string; deviceId: string }>> {
    const rows = await select<{ group_id: string; device_id: string }>(db, `SELECT group_id, device_id FROM device_group_members WHERE device_id = ANY($1::uuid[])`, [deviceIds]);
    return rows.map((r) => ({ groupId: r.group_id, deviceId: r.device_id }));
  },
};
