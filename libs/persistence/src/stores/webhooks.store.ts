import type { WebhookFormat } from '@mdm/contracts';
import { rowCountOf, select, selectOne, type Sql } from '../sql';

export interface StoredWebhook {
  id: string;
  url: string;
  /** The signing secret, sealed with MDM_SECRET_KEY: it must be read back to sign, so it is not hashed. */
  secretSealed: string;
  /** The last characters of the secret, so operators can tell which one is set. */
  secretHint: string;
  /** Event types and `<prefix>.*` patterns. */
  events: string[];
  format: WebhookFormat;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type NewWebhook = Pick<StoredWebhook, 'url' | 'secretSealed' | 'secretHint' | 'events' | 'format' | 'enabled'>;

export interface WebhookListFilter {
  enabled?: boolean;
  sort: 'createdAt' | 'url';
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface WebhookRow {
  id: string;
  url: string;
  secret_sealed: string;
  secret_hint: string;
  events: string[];
  format: WebhookFormat;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

function fromRow(r: WebhookRow): StoredWebhook {
  return {
    id: r.id,
    url: r.url,
    secretSealed: r.secret_sealed,
    secretHint: r.secret_hint,
    events: r.events,
    format: r.format,
    enabled: r.enabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const COLUMNS = 'id, url, secret_sealed, secret_hint, events, format, enabled, created_at, updated_at';
const SORT_COLUMN: Record<WebhookListFilter['sort'], string> = { createdAt: 'created_at', url: 'url' };

/** Webhook subscriptions; the integrations service is the only writer. */
export const WebhooksStore = {
  async create(db: Sql, w: NewWebhook): Promise<StoredWebhook> {
    const row = await selectOne<WebhookRow>(
      db,
      `INSERT INTO webhooks (url, secret_sealed, secret_hint, events, format, enabled) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [w.url, w.secretSealed, w.secretHint, w.events, w.format, w.enabled],
    );
    return fromRow(row!);
  },

  async list(db: Sql, f: WebhookListFilter): Promise<{ webhooks: StoredWebhook[]; total: number }> {
    const where = f.enabled === undefined ? 'true' : 'enabled = $1';
    const params = f.enabled === undefined ? [] : [f.enabled];
    const n = params.length;
    const [rows, count] = await Promise.all([
      select<WebhookRow>(
        db,
        `SELECT ${COLUMNS} FROM webhooks WHERE ${where} ORDER BY ${SORT_COLUMN[f.sort]} ${f.order === 'desc' ? 'DESC' : 'ASC'}, id ASC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, f.limit, f.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM webhooks WHERE ${where}`, params),
    ]);
    return { webhooks: rows.map(fromRow), total: count?.n ?? 0 };
  },

  async byId(db: Sql, id: string): Promise<StoredWebhook | undefined> {
    const row = await selectOne<WebhookRow>(db, `SELECT ${COLUMNS} FROM webhooks WHERE id = $1`, [id]);
    return row && fromRow(row);
  },

  /** Sets what is given; an undefined field keeps its value. */
  async update(db: Sql, id: string, patch: Partial<NewWebhook>): Promise<void> {
    await db.query(
      `UPDATE webhooks SET url = COALESCE($2, url), secret_sealed = COALESCE($3, secret_sealed), secret_hint = COALESCE($4, secret_hint),
              events = COALESCE($5, events), format = COALESCE($6, format), enabled = COALESCE($7, enabled), updated_at = now()
        WHERE id = $1`,
      [id, patch.url ?? null, patch.secretSealed ?? null, patch.secretHint ?? null, patch.events ?? null, patch.format ?? null, patch.enabled ?? null],
    );
  },

  /** Whether it existed; its deliveries and their attempts go with it. */
  async delete(db: Sql, id: string): Promise<boolean> {
    return rowCountOf(await db.query(`DELETE FROM webhooks WHERE id = $1`, [id])) > 0;
  },

  /** The enabled webhooks, for the fan-out. */
  async enabled(db: Sql): Promise<Array<Pick<StoredWebhook, 'id' | 'events' | 'format' | 'createdAt'>>> {
    const rows = await select<{ id: string; events: string[]; format: WebhookFormat; created_at: Date }>(db, `SELECT id, events, format, created_at FROM webhooks WHERE enabled`);
    return rows.map((r) => ({ id: r.id, events: r.events, format: r.format, createdAt: r.created_at }));
  },
};
