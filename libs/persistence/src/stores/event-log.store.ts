import type { SortOrder } from '@mdm/contracts';
import { select, selectOne, type Sql } from '../sql';
import { settledEventSql } from '../event-feed';

/** A position in the log: the writing transaction and the event number, compared as a pair. */
export interface EventLogPosition {
  txid: string;
  id: string;
}

export interface EventLogFilter {
  /** Read on from (not including) this position, in `order`. */
  after?: EventLogPosition;
  order: SortOrder;
  udid?: string;
  /** Exact event types and type prefixes (`command.`); an event matching any of them is kept. */
  type?: { exact: readonly string[]; prefixes: readonly string[] };
  /** ISO 8601 instants: `since` inclusive, `until` exclusive. */
  since?: string;
  until?: string;
  limit: number;
}

export interface EventLogEntry {
  /** The table's bigserial. */
  id: string;
  txid: string;
  eventId: string;
  type: string;
  udid: string | null;
  data: object;
  occurredAt: Date;
}

/**
 * The event log read in commit order, for `GET /v1/events`. Only settled events are served: those of
 * transactions older than every transaction still running (event-feed migration), ordered by (txid, id),
 * so nothing can appear behind a position already handed out.
 */
export const EventLogStore = {
  async list(sql: Sql, f: EventLogFilter): Promise<EventLogEntry[]> {
    const desc = f.order === 'desc';
    const params: unknown[] = [];
    const p = (value: unknown): string => `$${params.push(value)}`;
    const where = [settledEventSql('e')];
    if (f.after) where.push(`(e.txid, e.id) ${desc ? '<' : '>'} (${p(f.after.txid)}::xid8, ${p(f.after.id)}::bigint)`);
    if (f.udid) where.push(`e.udid = ${p(f.udid)}`);
    if (f.type) {
      const anyOf = [
        ...(f.type.exact.length ? [`e.type = ANY(${p(f.type.exact)}::text[])`] : []),
        ...f.type.prefixes.map((prefix) => `starts_with(e.type, ${p(prefix)})`),
      ];
      where.push(`(${anyOf.join(' OR ')})`);
    }
    if (f.since) where.push(`e.occurred_at >= ${p(f.since)}::timestamptz`);
    if (f.until) where.push(`e.occurred_at < ${p(f.until)}::timestamptz`);
    const direction = desc ? 'DESC' : 'ASC';
    const rows = await select<{ id: string; txid: string; event_id: string; type: string; udid: string | null; data: object; occurred_at: Date }>(
      sql,
      `SELECT e.id, e.txid::text AS txid, e.event_id, e.type, e.udid, e.data, e.occurred_at FROM events e
        WHERE ${where.join(' AND ')}
        ORDER BY e.txid ${direction}, e.id ${direction}
        LIMIT ${p(f.limit)}`,
      params,
    );
    return rows.map((e) => ({ id: e.id, txid: e.txid, eventId: e.event_id, type: e.type, udid: e.udid, data: e.data, occurredAt: e.occurred_at }));
  },

  /** The transaction that wrote event `id`, if the event exists. */
  async txidOf(sql: Sql, id: string): Promise<string | undefined> {
    return (await selectOne<{ txid: string }>(sql, 'SELECT txid::text AS txid FROM events WHERE id = $1', [id]))?.txid;
  },
};
