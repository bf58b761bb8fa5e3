import { rowCountOf, select, selectOne, type Sql } from '../sql';

/** One payload of a profile as the admin API speaks it: settings in JSON ($data/$date for bytes and dates). */
export interface StoredPayload {
  type: string;
  /** PayloadIdentifier; `<profile identifier>.<type>.<n>` when left out. */
  identifier?: string;
  settings: Record<string, unknown>;
}

/** What devices get of a profile: a change of any of it is a new version. */
export interface ProfileDefinition {
  name: string;
  identifier: string;
  removalDisallowed: boolean;
  description: string | null;
  payloads: StoredPayload[];
}

export interface StoredProfile extends ProfileDefinition {
  id: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A profile as it was at one version (the identifier never changes, so it is not repeated). */
export interface StoredProfileVersion {
  profileId: string;
  version: number;
  name: string;
  removalDisallowed: boolean;
  description: string | null;
  payloads: StoredPayload[];
}

export interface ProfileListFilter {
  /** Only profiles carrying a payload of this type. */
  payloadType?: string;
  sort: 'identifier' | 'name' | 'createdAt' | 'updatedAt';
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface ProfileRow {
  id: string;
  name: string;
  identifier: string;
  removal_disallowed: boolean;
  description: string | null;
  version: number;
  payloads: StoredPayload[];
  created_at: Date;
  updated_at: Date;
}

function fromRow(r: ProfileRow): StoredProfile {
  return {
    id: r.id,
    name: r.name,
    identifier: r.identifier,
    removalDisallowed: r.removal_disallowed,
    description: r.description,
    version: r.version,
    payloads: r.payloads,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const COLUMNS = 'id, name, identifier, removal_disallowed, description, version, payloads, created_at, updated_at';
const SORT_COLUMN: Record<ProfileListFilter['sort'], string> = { identifier: 'identifier', name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' };

/** The profile catalog (`profiles`, `profile_versions`); the profile service is the only writer. */
export const ProfilesStore = {
  /** Inserts version 1; a taken identifier fails with Postgres' unique violation (23505). */
  async create(tx: Sql, d: ProfileDefinition): Promise<StoredProfile> {
    const row = await selectOne<ProfileRow>(
      tx,
      `INSERT INTO profiles (name, identifier, removal_disallowed, description, version, payloads) VALUES ($1, $2, $3, $4, 1, $5) RETURNING ${COLUMNS}`,
      [d.name, d.identifier, d.removalDisallowed, d.description, JSON.stringify(d.payloads)],
    );
    return fromRow(row!);
  },

  /** The profile, row-locked for the rest of the transaction (two edits must not both become version n+1). */
  async lock(tx: Sql, id: string): Promise<StoredProfile | undefined> {
    const row = await selectOne<ProfileRow>(tx, `SELECT ${COLUMNS} FROM profiles WHERE id = $1 FOR UPDATE`, [id]);
    return row && fromRow(row);
  },

  async update(tx: Sql, id: string, d: ProfileDefinition, version: number): Promise<StoredProfile> {
    const row = await selectOne<ProfileRow>(
      tx,
      `UPDATE profiles SET name = $2, identifier = $3, removal_disallowed = $4, description = $5, payloads = $6, version = $7, updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, d.name, d.identifier, d.removalDisallowed, d.description, JSON.stringify(d.payloads), version],
    );
    return fromRow(row!);
  },

  async recordVersion(tx: Sql, p: StoredProfile): Promise<void> {
    await tx.query(
      `INSERT INTO profile_versions (profile_id, version, name, removal_disallowed, description, payloads) VALUES ($1, $2, $3, $4, $5, $6)`,
      [p.id, p.version, p.name, p.removalDisallowed, p.description, JSON.stringify(p.payloads)],
    );
  },

  async byId(db: Sql, id: string): Promise<StoredProfile | undefined> {
    const row = await selectOne<ProfileRow>(db, `SELECT ${COLUMNS} FROM profiles WHERE id = $1`, [id]);
    return row && fromRow(row);
  },

  async exists(db: Sql, id: string): Promise<boolean> {
    return (await select(db, `SELECT 1 FROM profiles WHERE id = $1`, [id])).length > 0;
  },

  async version(db: Sql, profileId: string, version: number): Promise<StoredProfileVersion | undefined> {
    const row = await selectOne<{ profile_id: string; version: number; name: string; removal_disallowed: boolean; description: string | null; payloads: StoredPayload[] }>(
      db,
      `SELECT profile_id, version, name, removal_disallowed, description, payloads FROM profile_versions WHERE profile_id = $1 AND version = $2`,
      [profileId, version],
    );
    return row && { profileId: row.profile_id, version: row.version, name: row.name, removalDisallowed: row.removal_disallowed, description: row.description, payloads: row.payloads };
  },

  /** Ordered by the chosen column, then id, so pages never overlap. */
  async list(db: Sql, f: ProfileListFilter): Promise<{ profiles: StoredProfile[]; total: number }> {
    const where = f.payloadType === undefined ? 'true' : 'payloads @> $1::jsonb';
    const params = f.payloadType === undefined ? [] : [JSON.stringify([{ type: f.payloadType }])];
    const n = params.length;
    const [rows, count] = await Promise.all([
      select<ProfileRow>(
        db,
        `SELECT ${COLUMNS} FROM profiles WHERE ${where} ORDER BY ${SORT_COLUMN[f.sort]} ${f.order === 'desc' ? 'DESC' : 'ASC'}, id ASC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, f.limit, f.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM profiles WHERE ${where}`, params),
    ]);
    return { profiles: rows.map(fromRow), total: count?.n ?? 0 };
  },

  /** Whether the profile existed; its versions go with it, its `device_profiles` rows outlive it. */
  async delete(tx: Sql, id: string): Promise<boolean> {
    return rowCountOf(await tx.query(`DELETE FROM profiles WHERE id = $1`, [id])) > 0;
  },

  /** What the reconciler needs of these profiles to plan installs and find conflicts. */
  async desired(tx: Sql, ids: readonly string[]): Promise<Array<{ id: string; identifier: string; version: number; createdAt: Date; payloadTypes: string[] }>> {
    const rows = await select<{ id: string; identifier: string; version: number; created_at: Date; payloads: StoredPayload[] }>(
      tx,
      `SELECT id, identifier, version, created_at, payloads FROM profiles WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((p) => ({ id: p.id, identifier: p.identifier, version: p.version, createdAt: p.created_at, payloadTypes: p.payloads.map((x) => x.type) }));
  },
};
