import type { DataSource, EntityManager } from 'typeorm';
import { EVERY_EVENT, type EventType } from '@mdm/contracts';
import { select, type Sql } from './sql';

/**
 * The settled-event rule, for the events row aliased `e`: only events of transactions older than every
 * running one, so a reader's position never has an event commit behind it (migration EventFeed1764278000000).
 */
export function settledEventSql(e = 'e'): string {
  return `${e}.txid < pg_snapshot_xmin(pg_current_snapshot())`;
}

/** An event as a feed consumer receives it. `seq` is the table's bigserial, unique but not the feed order. */
export interface FeedEvent {
  seq: string;
  eventId: string;
  type: EventType;
  udid: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
}

export interface FeedStep {
  /** Settled events read past the cursor (matching or not). */
  read: number;
  /** Of those, the ones handed to the handler. */
  handled: number;
  /** False when another replica holds this consumer's cursor. */
  owned: boolean;
}

/** `*` (or no pattern) matches every event, `command.*` every command event; anything else one type exactly. */
export function eventMatcher(patterns: readonly string[] | undefined): (type: string) => boolean {
  if (!patterns?.length || patterns.includes(EVERY_EVENT)) return () => true;
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')));
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1));
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}

/**
 * One step of a durable event consumer: in one transaction, lock the consumer's cursor (another replica
 * holding it makes this a no-op, so N replicas never handle an event twice), read up to `limit` settled
 * events past it (see the `EventFeed1764278000000` migration for why only settled ones), hand the matching
 * ones to `handle` inside that same transaction, and move the cursor. The handler's writes and the cursor
 * commit together: an event is handled exactly once as far as the database is concerned, and a crash
 * anywhere before the commit leaves the cursor where it was.
 */
export async function consumeEvents(
  dataSource: DataSource,
  consumer: string,
  options: { types?: readonly string[]; limit: number },
  handle: (tx: EntityManager, events: FeedEvent[]) => Promise<void>,
): Promise<FeedStep> {
  const matches = eventMatcher(options.types);
  return dataSource.transaction(async (tx) => {
    await tx.query(`INSERT INTO event_cursors (consumer) VALUES ($1) ON CONFLICT DO NOTHING`, [consumer]);
    const cursor: Array<{ txid: string; last_id: string }> = await tx.query(
      `SELECT txid::text, last_id FROM event_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED`,
      [consumer],
    );
    const at = cursor[0];
    if (!at) return { read: 0, handled: 0, owned: false };
    const rows: Array<{ id: string; txid: string; event_id: string; type: string; udid: string | null; data: Record<string, unknown>; occurred_at: Date }> =
      await tx.query(
        // ORDER BY names the table's columns: a bare `txid` would be the output column `txid::text`, which
        // sorts 10 before 9 (skipping events when transaction ids gain a digit) and cannot use events_feed,
        // so every read would sort all settled events after the cursor.
        `SELECT e.id, e.txid::text AS txid, e.event_id, e.type, e.udid, e.data, e.occurred_at FROM events e
          WHERE (e.txid, e.id) > ($1::xid8, $2::bigint) AND ${settledEventSql('e')}
          ORDER BY e.txid, e.id
          LIMIT $3`,
        [at.txid, at.last_id, options.limit],
      );
    const last = rows[rows.length - 1];
    if (!last) return { read: 0, handled: 0, owned: true };
    const events = rows
      .filter((r) => matches(r.type))
      .map((r) => ({ seq: String(r.id), eventId: r.event_id, type: r.type as EventType, udid: r.udid, data: r.data, occurredAt: r.occurred_at }));
    if (events.length) await handle(tx, events);
    await tx.query(`UPDATE event_cursors SET txid = $2::xid8, last_id = $3, updated_at = now() WHERE consumer = $1`, [consumer, last.txid, last.id]);
    return { read: rows.length, handled: events.length, owned: true };
  });
}

export interface FeedLogger {
  error(message: string): void;
}

/**
 * Follows the feed for one consumer until stopped: reads again at once while batches come back full,
 * otherwise every `intervalMs`. A failing handler is retried (with the interval as pause) from the same
 * cursor, so a bug or an outage delays events but never drops one.
 */
export class EventFeedRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: string,
    private readonly options: { types?: readonly string[]; limit: number; intervalMs: number },
    private readonly handle: (tx: EntityManager, events: FeedEvent[]) => Promise<void>,
    private readonly logger: FeedLogger,
    /** Called after a pass that handled events committed (to act on what the handler planned). */
    private readonly afterCommit: (handled: number) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs one pass now (tests, and callers that just wrote something the consumer should see). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const step = await consumeEvents(this.dataSource, this.consumer, this.options, this.handle);
      total += step.handled;
      if (!step.owned || step.read < this.options.limit) return total;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.drain().then(
        (handled) => {
          if (handled) this.afterCommit(handled);
          this.schedule(this.options.intervalMs);
        },
        (err: unknown) => {
          this.logger.error(`event consumer ${this.consumer} failed, retrying: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
          this.schedule(this.options.intervalMs);
        },
      );
    }, delayMs);
  }
}

/** How far each consumer is behind: events past its cursor (counted up to a million) and the oldest one's age. */
export async function feedLag(sql: Sql, consumers: readonly string[]): Promise<Array<{ consumer: string; lag: string; age: number | null }>> {
  return select(
    sql,
    `SELECT k.consumer,
            (SELECT count(*) FROM (SELECT 1 FROM events e
               WHERE (e.txid, e.id) > (COALESCE(c.txid, '0'::xid8), COALESCE(c.last_id, 0)) LIMIT 1000000) x) AS lag,
            (SELECT extract(epoch FROM now() - e.occurred_at)::float8 FROM events e
               WHERE (e.txid, e.id) > (COALESCE(c.txid, '0'::xid8), COALESCE(c.last_id, 0))
               ORDER BY e.txid, e.id LIMIT 1) AS age
       FROM unnest($1::text[]) AS k(consumer)
       LEFT JOIN event_cursors c ON c.consumer = k.consumer`,
    [consumers],
  );
}
