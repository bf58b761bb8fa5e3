import type { ApiKeyListQuery, SortOrder } from '@mdm/contracts';
import { select, selectOne, type Sql } from '../sql';

/** An admin API key: only the SHA-256 of its secret is kept. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** As stored; callers keep only the scopes they know. */
  scopes: string[];
  secretHash: Buffer;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string[];
  secret_hash: Buffer;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

function fromRow(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

type SortField = ApiKeyListQuery['sort'];
const SORT_COLUMNS: Record<SortField, string> = { createdAt: 'created_at', name: 'name', lastUsedAt: 'last_used_at' };

export interface ApiKeyFilter {
  /** true: revoked keys only; false: live ones only. */
  revoked?: boolean;
  sort: SortField;
  order: SortOrder;
  limit: number;
  offset: number;
}

/** `api_keys`: revoked keys stay, so the list says who had access until when. */
export const ApiKeyStore = {
  /** The id is chosen by the caller: it is part of the secret. */
  async insert(sql: Sql, k: { id: string; name: string; scopes: readonly string[]; secretHash: Buffer; expiresAt: Date | null }): Promise<ApiKeyRecord> {
    const row = await selectOne<ApiKeyRow>(
      sql,
      `INSERT INTO api_keys (id, name, scopes, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [k.id, k.name, k.scopes, k.secretHash, k.expiresAt],
    );
    return fromRow(row!);
  },

  async byId(sql: Sql, id: string): Promise<ApiKeyRecord | undefined> {
    const row = await selectOne<ApiKeyRow>(sql, `SELECT * FROM api_keys WHERE id = $1 LIMIT 1`, [id]);
    return row && fromRow(row);
  },

  async list(sql: Sql, f: ApiKeyFilter): Promise<{ keys: ApiKeyRecord[]; total: number }> {
    const where = f.revoked === undefined ? '' : f.revoked ? 'WHERE revoked_at IS NOT NULL' : 'WHERE revoked_at IS NULL';
    const direction = f.order === 'desc' ? 'DESC' : 'ASC';
    const rows = await select<ApiKeyRow>(
      sql,
      `SELECT * FROM api_keys ${where} ORDER BY ${SORT_COLUMNS[f.sort]} ${direction} NULLS LAST, id ASC LIMIT $1 OFFSET $2`,
      [f.limit, f.offset],
    );
    const count = await selectOne<{ total: number }>(sql, `SELECT count(*)::int AS total FROM api_keys ${where}`);
    return { keys: rows.map(fromRow), total: count?.total ?? 0 };
  },

  /** Idempotent: a revoked key keeps its first `revoked_at`. */
  async revoke(sql: Sql, id: string): Promise<void> {
    await sql.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  },

  /** Conditional, so replicas racing on the same key write once, and a busy key once per `resolutionMs`. */
  async touchLastUsed(sql: Sql, id: string, resolutionMs: number): Promise<void> {
    await sql.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, resolutionMs / 1000],
    );
  },
};
