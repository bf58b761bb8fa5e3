import type { DataSource, EntityManager } from 'typeorm';
import { EVENT_TYPES, EVERY_EVENT, type EventType } from '@mdm/contracts';
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
  /** Settled events read past the cursor: every one, or with followed types only theirs (`limit` of them: read on). */
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
 * The catalog types `patterns` follow: undefined for every event (no patterns, or `*`), else the exact
 * list, possibly empty. Events are only ever written with catalog types (`recordEvents` checks them).
 */
export function followedTypes(patterns: readonly string[] | undefined): EventType[] | undefined {
  if (!patterns || patterns.includes(EVERY_EVENT)) return undefined;
  if (!patterns.length) return [];
  const matches = eventMatcher(patterns);
  return EVENT_TYPES.filter(matches);
}

export interface ConsumeOptions {
  /** Exact types or `prefix.*`; undefined follows every event, an empty list none (the cursor still moves). */
  types?: readonly string[];
  /** Asked in the step's transaction before reading, in place of `types`: what the consumer wants now. */
  typesNow?: (tx: EntityManager) => Promise<readonly string[] | undefined>;
  limit: number;
}

type EventRow = { id: string; txid: string; event_id: string; type: string; udid: string | null; data: Record<string, unknown>; occurred_at: Date };

/**
 * One step of a durable event consumer: in one transaction, lock the consumer's cursor (another replica
 * holding it makes this a no-op, so N replicas never handle an event twice), read up to `limit` settled
 * events past it (see the `EventFeed1764278000000` migration for why only settled ones) of the followed
 * types, hand them to `handle` inside that same transaction, and move the cursor. The handler's writes
 * and the cursor commit together: an event is handled exactly once as far as the database is concerned,
 * and a crash anywhere before the commit leaves the cursor where it was.
 */
export async function consumeEvents(
  dataSource: DataSource,
  consumer: string,
  options: ConsumeOptions,
  handle: (tx: EntityManager, events: FeedEvent[]) => Promise<void>,
): Promise<FeedStep> {
  return dataSource.transaction(async (tx) => {
    await tx.query(`INSERT INTO event_cursors (consumer) VALUES ($1) ON CONFLICT DO NOTHING`, [consumer]);
    const cursor: Array<{ txid: string; last_id: string }> = await tx.query(
      `SELECT txid::text, last_id FROM event_cursors WHERE consumer = $1 FOR UPDATE SKIP LOCKED`,
      [consumer],
    );
    const at = cursor[0];
    if (!at) return { read: 0, handled: 0, owned: false };
    const types = followedTypes(options.typesNow ? await options.typesNow(tx) : options.types);
    const page = types ? await readFollowed(tx, at, types, options.limit) : await readAll(tx, at, options.limit);
    if (!page.moveTo) return { read: 0, handled: 0, owned: true };
    const events = page.rows.map((r) => ({ seq: String(r.id), eventId: r.event_id, type: r.type as EventType, udid: r.udid, data: r.data, occurredAt: r.occurred_at }));
    if (events.length) await handle(tx, events);
    await tx.query(`UPDATE event_cursors SET txid = $2::xid8, last_id = $3, updated_at = now() WHERE consumer = $1`, [consumer, page.moveTo.txid, page.moveTo.id]);
    return { read: page.read, handled: events.length, owned: true };
  });
}

interface FeedPage {
  rows: EventRow[];
  /** How many rows the step counts as read: a full page (`limit`) means there may be more. */
  read: number;
  /** Where the cursor goes; undefined when nothing settled lies past it. */
  moveTo: { txid: string; id: string } | undefined;
}

const EVENT_COLUMNS = 'e.id, e.txid::text AS txid, e.event_id, e.type, e.udid, e.data, e.occurred_at';

/** Every settled event past the cursor, up to `limit`. */
async function readAll(tx: EntityManager, at: { txid: string; last_id: string }, limit: number): Promise<FeedPage> {
  const rows: EventRow[] = await tx.query(
    // ORDER BY names the table's columns: a bare `txid` would be the output column `txid::text`, which
    // sorts 10 before 9 (skipping events when transaction ids gain a digit) and cannot use events_feed,
    // so every read would sort all settled events after the cursor.
    `SELECT ${EVENT_COLUMNS} FROM events e
      WHERE (e.txid, e.id) > ($1::xid8, $2::bigint) AND ${settledEventSql('e')}
      ORDER BY e.txid, e.id
      LIMIT $3`,
    [at.txid, at.last_id, limit],
  );
  const last = rows[rows.length - 1];
  return { rows, read: rows.length, moveTo: last && { txid: last.txid, id: last.id } };
}

/**
 * Only the followed types' settled events past the cursor: one `events_type_feed` range per type, merged
 * in feed order, so the events of other types are never read. A page shorter than `limit` holds every
 * followed event up to the newest settled one, so the cursor moves there (past the rest), as seen by the
 * same statement's snapshot: an event settling later is never skipped.
 */
async function readFollowed(tx: EntityManager, at: { txid: string; last_id: string }, types: readonly string[], limit: number): Promise<FeedPage> {
  const perType = types.map(
    (_, i) => `(SELECT ${EVENT_COLUMNS}, e.txid AS feed_txid FROM events e
        WHERE e.type = $${i + 4} AND (e.txid, e.id) > ($1::xid8, $2::bigint) AND ${settledEventSql('e')}
        ORDER BY e.txid, e.id LIMIT $3)`,
  );
  const followed = perType.length
    ? `SELECT f.*, false AS horizon FROM (${perType.join(' UNION ALL ')}) f ORDER BY f.feed_txid, f.id LIMIT $3`
    : `SELECT NULL::bigint AS id, NULL AS txid, NULL::uuid AS event_id, NULL AS type, NULL AS udid, NULL::jsonb AS data, NULL::timestamptz AS occurred_at, NULL::xid8 AS feed_txid, false AS horizon WHERE false`;
  const rows: Array<EventRow & { horizon: boolean }> = await tx.query(
    `SELECT * FROM (
       (${followed})
       UNION ALL
       (SELECT e.id, e.txid::text, NULL, NULL, NULL, NULL, NULL, e.txid, true FROM events e
         WHERE ${settledEventSql('e')} AND (e.txid, e.id) > ($1::xid8, $2::bigint)
         ORDER BY e.txid DESC, e.id DESC LIMIT 1)) page
     ORDER BY page.horizon, page.feed_txid, page.id`,
    types.length ? [at.txid, at.last_id, limit, ...types] : [at.txid, at.last_id],
  );
  const matched = rows.filter((r) => !r.horizon);
  const newest = rows.find((r) => r.horizon);
  if (matched.length >= limit) {
    const last = matched[matched.length - 1]!;
    return { rows: matched, read: matched.length, moveTo: { txid: last.txid, id: last.id } };
  }
  return { rows: matched, read: matched.length, moveTo: newest && { txid: newest.txid, id: newest.id } };
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
    private readonly options: ConsumeOptions & { intervalMs: number },
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
