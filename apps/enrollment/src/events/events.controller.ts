import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type CursorPage, EventListQuery } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';

export interface EventView {
  /** The event's number (the table's bigserial): unique, but commit order is `cursor` order. */
  seq: number;
  id: string;
  type: string;
  udid: string | null;
  occurredAt: string;
  data: object;
  /** Send as `after` to read on from this event. */
  cursor: string;
}

export type EventList = CursorPage<'events', EventView>;

/** A position in the log: the writing transaction and the event number, compared as a pair. */
interface Position {
  txid: string;
  id: string;
}

/**
 * The event log in commit order, what integrations and `mdmctl events tail` follow from any point.
 *
 * Only settled events are served: those of transactions older than every transaction still running
 * (event-feed migration). A bigserial alone is not a safe cursor: an event numbered 9 can commit after
 * one numbered 10 that a follower has already moved past; ordered by (txid, id) behind that horizon,
 * nothing can appear behind a cursor later.
 */
@Controller('v1/events')
export class EventsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async list(@Query() query: unknown): Promise<EventList> {
    const q = parseOr400(EventListQuery, query ?? {}, 'query');
    const after = q.after === undefined ? undefined : await this.position(q.after);
    const desc = q.order === 'desc';
    const params: unknown[] = [];
    const p = (value: unknown): string => `$${params.push(value)}`;
    const where = ['e.txid < pg_snapshot_xmin(pg_current_snapshot())'];
    if (after) where.push(`(e.txid, e.id) ${desc ? '<' : '>'} (${p(after.txid)}::xid8, ${p(after.id)}::bigint)`);
    if (q.udid) where.push(`e.udid = ${p(q.udid)}`);
    if (q.type) {
      const anyOf = [
        ...(q.type.exact.length ? [`e.type = ANY(${p(q.type.exact)}::text[])`] : []),
        ...q.type.prefixes.map((prefix) => `starts_with(e.type, ${p(prefix)})`),
      ];
      where.push(`(${anyOf.join(' OR ')})`);
    }
    if (q.since) where.push(`e.occurred_at >= ${p(q.since)}::timestamptz`);
    if (q.until) where.push(`e.occurred_at < ${p(q.until)}::timestamptz`);
    const direction = desc ? 'DESC' : 'ASC';
    // One row more than asked tells whether another page is already waiting.
    const rows: Array<{ id: string; txid: string; event_id: string; type: string; udid: string | null; data: object; occurred_at: Date }> =
      await this.dataSource.query(
        `SELECT e.id, e.txid::text AS txid, e.event_id, e.type, e.udid, e.data, e.occurred_at FROM events e
          WHERE ${where.join(' AND ')}
          ORDER BY e.txid ${direction}, e.id ${direction}
          LIMIT ${p(q.limit + 1)}`,
        params,
      );
    const page = rows.slice(0, q.limit);
    const events = page.map((e) => ({
      seq: Number(e.id),
      id: e.event_id,
      type: e.type,
      udid: e.udid,
      occurredAt: e.occurred_at.toISOString(),
      data: e.data,
      cursor: `${e.txid}.${e.id}`,
    }));
    const last = events[events.length - 1];
    return { events, limit: q.limit, next: last?.cursor ?? (after ? `${after.txid}.${after.id}` : null), hasMore: rows.length > q.limit };
  }

  /** `<txid>.<id>`, or a bare event number (what `next` was before the feed had transaction ids). */
  private async position(cursor: string): Promise<Position | undefined> {
    const dot = cursor.indexOf('.');
    const txid = dot < 0 ? undefined : cursor.slice(0, dot);
    const id = cursor.slice(dot + 1);
    // Out of range for xid8 / bigint would be a database error, not the caller's 400.
    if ((txid !== undefined && BigInt(txid) >= 2n ** 64n) || BigInt(id) >= 2n ** 63n) {
      throw new BadRequestException(`invalid query: after: ${cursor} is not a cursor this server handed out`);
    }
    if (txid !== undefined) return { txid, id: id };
    if (BigInt(id) === 0n) return undefined;
    const found: Array<{ txid: string }> = await this.dataSource.query('SELECT txid::text AS txid FROM events WHERE id = $1', [id]);
    if (!found[0]) throw new BadRequestException(`invalid query: after: no event ${cursor}`);
    return { txid: found[0].txid, id: id };
  }
}
