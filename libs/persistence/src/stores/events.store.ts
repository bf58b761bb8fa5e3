import { randomUUID } from 'node:crypto';
import { EventSchemas, type MdmEvent } from '@mdm/contracts';
import type { Sql } from '../sql';

/**
 * Records events inside the caller's transaction, so an event exists exactly when the state
 * change that caused it committed. Payloads are checked against the catalog before writing.
 */
export async function recordEvents(tx: Sql, events: readonly MdmEvent[], at: Date = new Date()): Promise<void> {
  if (!events.length) return;
  const values: unknown[] = [];
  const rows: string[] = [];
  events.forEach((e, i) => {
    const data = EventSchemas[e.type].parse(e.data) as Record<string, unknown>;
    const udid = typeof data['udid'] === 'string' ? data['udid'] : null;
    values.push(randomUUID(), e.type, udid, JSON.stringify(data), at);
    const o = i * 5;
    rows.push(`($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5})`);
  });
  await tx.query(`INSERT INTO events (event_id, type, udid, data, occurred_at) VALUES ${rows.join(', ')}`, values);
}

/**
 * As `recordEvents`, for large groups: every event is still checked against the catalog, but the rows go
 * in as four array parameters (`INSERT … SELECT … FROM unnest`), not five parameters per event, so the
 * statement stays small and Postgres parses it once whatever the group size.
 */
export async function recordEventsBulk(tx: Sql, events: readonly MdmEvent[], at: Date = new Date()): Promise<void> {
  if (!events.length) return;
  const ids: string[] = [];
  const types: string[] = [];
  const udids: Array<string | null> = [];
  const datas: string[] = [];
  for (const e of events) {
    const data = EventSchemas[e.type].parse(e.data) as Record<string, unknown>;
    ids.push(randomUUID());
    types.push(e.type);
    udids.push(typeof data['udid'] === 'string' ? data['udid'] : null);
    datas.push(JSON.stringify(data));
  }
  await tx.query(
    `INSERT INTO events (event_id, type, udid, data, occurred_at)
     SELECT x.id, x.type, x.udid, x.data::jsonb, $5 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(id, type, udid, data, n)
      ORDER BY x.n`,
    [ids, types, udids, datas, at],
  );
}
