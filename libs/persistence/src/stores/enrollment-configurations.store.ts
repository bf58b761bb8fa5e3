import type { EnrollmentConfigurationListQuery, SortOrder } from '@mdm/contracts';
import { rowCountOf, select, selectOne, type Sql } from '../sql';

export interface EnrollmentConfigurationRecord {
  id: string;
  name: string;
  /** Push topic (tenant); null means the newest push certificate's. */
  topic: string | null;
  accessRights: number;
  displayName: string | null;
  createdAt: Date;
}

interface EnrollmentConfigurationRow {
  id: string;
  name: string;
  topic: string | null;
  access_rights: number;
  display_name: string | null;
  created_at: Date;
}

function fromRow(r: EnrollmentConfigurationRow): EnrollmentConfigurationRecord {
  return { id: r.id, name: r.name, topic: r.topic, accessRights: r.access_rights, displayName: r.display_name, createdAt: r.created_at };
}

type SortField = EnrollmentConfigurationListQuery['sort'];
const SORT_COLUMNS: Record<SortField, string> = { name: 'name', createdAt: 'created_at' };
const COLUMNS = 'id, name, topic, access_rights, display_name, created_at';

export interface EnrollmentConfigurationFilter {
  topic?: string;
  sort: SortField;
  order: SortOrder;
  limit: number;
  offset: number;
}

/** `enrollment_configurations`: named recipes for enrollment profiles. */
export const EnrollmentConfigurationStore = {
  /** The new configuration, or undefined when one of that name exists already. */
  async insertIfNameFree(
    sql: Sql,
    c: { name: string; topic: string | null; accessRights: number; displayName: string | null },
  ): Promise<EnrollmentConfigurationRecord | undefined> {
    // A SELECT around the insert hands back the row only when it was really inserted.
    const row = await selectOne<EnrollmentConfigurationRow>(
      sql,
      `WITH ins AS (
         INSERT INTO enrollment_configurations (name, topic, access_rights, display_name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS})
       SELECT * FROM ins`,
      [c.name, c.topic, c.accessRights, c.displayName],
    );
    return row && fromRow(row);
  },

  async byId(sql: Sql, id: string): Promise<EnrollmentConfigurationRecord | undefined> {
    const row = await selectOne<EnrollmentConfigurationRow>(sql, `SELECT ${COLUMNS} FROM enrollment_configurations WHERE id = $1 LIMIT 1`, [id]);
    return row && fromRow(row);
  },

  async list(sql: Sql, f: EnrollmentConfigurationFilter): Promise<{ configurations: EnrollmentConfigurationRecord[]; total: number }> {
    const where = f.topic ? 'WHERE topic = $1' : '';
    const params: unknown[] = f.topic ? [f.topic] : [];
    const order = f.order === 'asc' ? 'ASC' : 'DESC';
    const rows = await select<EnrollmentConfigurationRow>(
      sql,
      `SELECT ${COLUMNS} FROM enrollment_configurations ${where}
        ORDER BY ${SORT_COLUMNS[f.sort]} ${order}, id ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    );
    const count = await selectOne<{ total: number }>(sql, `SELECT count(*)::int AS total FROM enrollment_configurations ${where}`, params);
    return { configurations: rows.map(fromRow), total: count?.total ?? 0 };
  },

  /** Whether a configuration was there to delete. */
  async delete(sql: Sql, id: string): Promise<boolean> {
    return rowCountOf(await sql.query(`DELETE FROM enrollment_configurations WHERE id = $1`, [id])) > 0;
  },
};
