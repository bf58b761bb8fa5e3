import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type EventList, EventListQuery } from '@mdm/contracts';
import { type EventLogPosition, EventLogStore } from '@mdm/persistence';
import { parseOr400 } from '@mdm/service-kit';

/**
 * The event log in commit order, what integrations and `mdmctl events tail` follow from any point. Only
 * settled events are served (see `EventLogStore`), so a cursor handed out never has an event appear behind it.
 */
@Controller('v1/events')
export class EventsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async list(@Query() query: unknown): Promise<EventList> {
    const q = parseOr400(EventListQuery, query ?? {}, 'query');
    const after = q.after === undefined ? undefined : await this.position(q.after);
    // One row more than asked tells whether another page is already waiting.
    const rows = await EventLogStore.list(this.dataSource, { ...q, after, limit: q.limit + 1 });
    const events = rows.slice(0, q.limit).map((e) => ({
      seq: Number(e.id),
      id: e.eventId,
      type: e.type,
      udid: e.udid,
      occurredAt: e.occurredAt.toISOString(),
      data: e.data,
      cursor: `${e.txid}.${e.id}`,
    }));
    const last = events[events.length - 1];
    return { events, limit: q.limit, next: last?.cursor ?? (after ? `${after.txid}.${after.id}` : null), hasMore: rows.length > q.limit };
  }

  /** `<txid>.<id>`, or a bare event number (what `next` was before the feed had transaction ids). */
  private async position(cursor: string): Promise<EventLogPosition | undefined> {
    const dot = cursor.indexOf('.');
    const txid = dot < 0 ? undefined : cursor.slice(0, dot);
    const id = cursor.slice(dot + 1);
    // Out of range for xid8 / bigint would be a database error, not the caller's 400.
    if ((txid !== undefined && BigInt(txid) >= 2n ** 64n) || BigInt(id) >= 2n ** 63n) {
      throw new BadRequestException(`invalid query: after: ${cursor} is not a cursor this server handed out`);
    }
    if (txid !== undefined) return { txid, id };
    if (BigInt(id) === 0n) return undefined;
    const found = await EventLogStore.txidOf(this.dataSource, id);
    if (found === undefined) throw new BadRequestException(`invalid query: after: no event ${cursor}`);
    return { txid: found, id };
  }
}
