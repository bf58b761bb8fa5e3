import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type EventData, EventSchemas, type EventType, type MdmEvent } from '@mdm/contracts';
import { scratchDatabase, type ScratchDatabase } from '@mdm/testing';
import { dataSourceOptions, runMigrations } from './data-source';
import { consumeEvents, eventMatcher, type FeedEvent, followedTypes, settledEventSql } from './event-feed';
import { CommandDeliveriesStore } from './stores/command-deliveries.store';
import { recordEvents } from './stores/events.store';

let db: ScratchDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await scratchDatabase('feed');
  ds = new DataSource(dataSourceOptions(db.url, 6));
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds.destroy();
  await db.drop();
});

const checkedOut = (udid: string): { type: 'device.checked_out'; data: { udid: string; enrollmentId: string; canceledCommands: number } } => ({
  type: 'device.checked_out',
  data: { udid, enrollmentId: randomUUID(), canceledCommands: 0 },
});

// Settling waits for transactions of the whole Postgres server, other databases' included.
jest.setTimeout(60_000);

/** Until every committed event is settled (no transaction that could still write before it is open). */
async function settled(): Promise<void> {
  for (;;) {
    const [row] = await ds.query(`SELECT COALESCE(bool_and(${settledEventSql()}), true) AS settled FROM events e`);
    if (row.settled) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Everything the consumer has not seen yet, in feed order (`settle: false` while this test holds a transaction open). */
async function take(consumer: string, types?: string[], settle = true): Promise<FeedEvent[]> {
  if (settle) await settled();
  const seen: FeedEvent[] = [];
  for (;;) {
    const step = await consumeEvents(ds, consumer, { types, limit: 50 }, async (_tx, events) => {
      seen.push(...events);
    });
    if (step.read < 50) return seen;
  }
}

describe('event feed', () => {
  it('never moves past an event of a transaction that commits later', async () => {
    await take('late-commit');
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      // The open transaction takes its sequence number first ...
      await recordEvents(runner.manager, [checkedOut('EARLY')]);
      // ... another one takes a later number and commits first.
      await ds.transaction((tx) => recordEvents(tx, [checkedOut('LATE')]));
      expect((await take('late-commit', undefined, false)).map((e) => e.udid)).toEqual([]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    // Feed order is transaction order: the one that started writing first comes first.
    expect((await take('late-commit')).map((e) => e.udid)).toEqual(['EARLY', 'LATE']);
    expect(await take('late-commit')).toEqual([]);
  });

  it('lets one replica hold a consumer at a time, and keeps the cursor when the handler fails', async () => {
    await take('shared');
    await ds.transaction((tx) => recordEvents(tx, [checkedOut('A'), checkedOut('B')]));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    await settled();
    // The handler runs once the first replica holds the cursor's row lock.
    const first = consumeEvents(ds, 'shared', { limit: 10 }, () => (holding(), held));
    await holds;
    const second = await consumeEvents(ds, 'shared', { limit: 10 }, async () => undefined);
    expect(second.owned).toBe(false);
    release();
    expect((await first).handled).toBe(2);

    await ds.transaction((tx) => recordEvents(tx, [checkedOut('C')]));
    await settled();
    await expect(consumeEvents(ds, 'shared', { limit: 10 }, async () => Promise.reject(new Error('receiver down')))).rejects.toThrow('receiver down');
    expect((await take('shared')).map((e) => e.udid)).toEqual(['C']);
  });

  it('reads in transaction-id order as numbers (9 before 10), by the feed index, one page at a time', async () => {
    // Two settled events whose transaction ids differ in their number of digits, as real ids do over time.
    await ds.query(
      `INSERT INTO events (event_id, type, udid, data, txid) VALUES ($1, 'device.checked_out', 'TEN', '{}', '10'), ($2, 'device.checked_out', 'NINE', '{}', '9')`,
      [randomUUID(), randomUUID()],
    );
    const total = Number((await ds.query(`SELECT count(*) AS n FROM events`))[0].n);
    await settled();
    const seen: FeedEvent[] = [];
    for (;;) {
      const step = await consumeEvents(ds, 'digits', { limit: 1 }, async (_tx, events) => {
        seen.push(...events);
      });
      if (step.read === 0) break;
    }
    expect(seen).toHaveLength(total);
    expect(seen.slice(0, 2).map((e) => e.udid)).toEqual(['NINE', 'TEN']);

    // The order can come from events_feed (a small table may still be sorted by choice, so forbid sorting).
    const plan = await ds.transaction(async (tx) => {
      await tx.query(`SET LOCAL enable_sort = off`);
      const rows: Array<{ 'QUERY PLAN': string }> = await tx.query(
        `EXPLAIN SELECT e.id FROM events e WHERE (e.txid, e.id) > ('0'::xid8, 0) AND e.txid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e.txid, e.id LIMIT 100`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index (Only )?Scan using events_feed/);
    expect(plan).not.toMatch(/Sort/);
  });

  it('filters by type and by prefix while still moving past what it skips', async () => {
    await take('filtered', ['device.*']);
    await ds.transaction((tx) =>
      recordEvents(tx, [
        { type: 'push.topic_stopped', data: { topic: 't', fingerprint: 'f', reason: 'r' } },
        checkedOut('D'),
      ]),
    );
    expect((await take('filtered', ['device.*'])).map((e) => e.type)).toEqual(['device.checked_out']);
    expect(eventMatcher(['command.*', 'push.sent'])('command.error')).toBe(true);
    expect(eventMatcher(['command.*', 'push.sent'])('push.failed')).toBe(false);
  });

  it('records one catalog-valid command event per queueing and status change, from every writer', async () => {
    await take('commands', ['command.*']);
    const deviceId = randomUUID();
    const commandUuid = randomUUID();
    await ds.query(`INSERT INTO devices (id, udid, enrollment_id, enrolled) VALUES ($1, 'CMD-DEVICE', $2, true)`, [deviceId, randomUUID()]);
    await ds.query(`INSERT INTO commands (command_uuid, request_type, payload, command_plist) VALUES ($1, 'ProfileList', '{}', '')`, [commandUuid]);
    await ds.transaction((tx) => CommandDeliveriesStore.insertQueued(tx, commandUuid, [deviceId], new Date()));
    await ds.query(`UPDATE command_deliveries SET status = 'PUSH' WHERE command_uuid = $1`, [commandUuid]);
    await ds.query(`UPDATE command_deliveries SET updated_at = now() WHERE command_uuid = $1`, [commandUuid]);
    await ds.query(`UPDATE command_deliveries SET status = 'NOTNOW', not_now_count = 1 WHERE command_uuid = $1`, [commandUuid]);
    await ds.query(`UPDATE command_deliveries SET status = 'ACKNOWLEDGED', result = '{"ProfileList": []}' WHERE command_uuid = $1`, [commandUuid]);
    const events = await take('commands', ['command.*']);
    expect(events.map((e) => e.type)).toEqual(['command.queued.v2', 'command.delivered', 'command.not_now', 'command.acknowledged']);
    // A summarised event naming one device is in that device's list.
    expect(events[0]!.udid).toBe('CMD-DEVICE');
    expect(events[0]!.data).toEqual({ commandUuid, requestType: 'ProfileList', status: 'QUEUED', devices: [{ udid: 'CMD-DEVICE', deviceId }] });
    for (const e of events) expect(() => EventSchemas[e.type as EventType].parse(e.data)).not.toThrow();
    expect(events[3]!.data).toEqual({
      udid: 'CMD-DEVICE',
      deviceId,
      commandUuid,
      requestType: 'ProfileList',
      status: 'ACKNOWLEDGED',
      notNowCount: 1,
      answer: { ProfileList: [] },
    });
  });

  it('summarises a fan-out: one command.queued.v2 and one command.sent.v2 per command and chunk, naming every device', async () => {
    await take('fan-out', ['command.*']);
    const n = 2500;
    const commandUuid = randomUUID();
    await ds.query(`INSERT INTO devices (udid, enrollment_id, enrolled) SELECT 'FAN-' || lpad(i::text, 5, '0'), gen_random_uuid(), true FROM generate_series(1, $1::int) i`, [n]);
    await ds.query(`INSERT INTO commands (command_uuid, request_type, payload, command_plist, correlation_id) VALUES ($1, 'ProfileList', '{}', '', 'req-1')`, [commandUuid]);
    const devices: Array<{ id: string }> = await ds.query(`SELECT id FROM devices WHERE udid LIKE 'FAN-%' ORDER BY udid`);
    await ds.transaction((tx) => CommandDeliveriesStore.insertQueued(tx, commandUuid, devices.map((d) => d.id), new Date()));
    await ds.query(`UPDATE command_deliveries SET status = 'SENT' WHERE command_uuid = $1`, [commandUuid]);
    await ds.query(`UPDATE command_deliveries SET status = 'ERROR' WHERE command_uuid = $1 AND device_id = (SELECT id FROM devices WHERE udid = 'FAN-00001')`, [commandUuid]);
    const events = await take('fan-out', ['command.*']);
    for (const e of events) expect(() => EventSchemas[e.type as EventType].parse(e.data)).not.toThrow();
    const expected = Array.from({ length: n }, (_, i) => `FAN-${String(i + 1).padStart(5, '0')}`);
    for (const type of ['command.queued.v2', 'command.sent.v2'] as const) {
      const typed = events.filter((e) => e.type === type);
      const batch = typed.map((e) => e.data as EventData<typeof type>);
      // Queued in chunks of the list given; sent in chunks of delivery ids (which need not start at a round number).
      if (type === 'command.queued.v2') expect(batch.map((b) => b.devices.length)).toEqual([1000, 1000, 500]);
      else expect([3, 4]).toContain(batch.length);
      expect(batch.every((b) => b.devices.length <= 1000 && b.correlationId === 'req-1' && b.commandUuid === commandUuid)).toBe(true);
      expect(typed.every((e) => e.udid === null)).toBe(true);
      expect(batch.flatMap((b) => b.devices.map((d) => d.udid)).sort()).toEqual(expected);
      expect(new Set(batch.flatMap((b) => b.devices.map((d) => d.deviceId)))).toEqual(new Set(devices.map((d) => d.id)));
    }
    // Results stay per device.
    expect(events.filter((e) => e.type === 'command.error').map((e) => e.udid)).toEqual(['FAN-00001']);
  });

  it('reads only the followed types, by their index, and moves past the others', async () => {
    await take('only-enrolled', ['device.enrolled']);
    const enrolled = (udid: string): MdmEvent => ({ type: 'device.enrolled', data: { udid, enrollmentId: randomUUID(), topic: 't' } });
    await ds.transaction((tx) => recordEvents(tx, [checkedOut('X1'), enrolled('E1'), checkedOut('X2'), enrolled('E2'), checkedOut('X3')]));
    const handled: FeedEvent[] = [];
    await settled();
    const step = await consumeEvents(ds, 'only-enrolled', { types: ['device.enrolled'], limit: 1 }, async (_tx, events) => {
      handled.push(...events);
    });
    expect(step).toEqual({ read: 1, handled: 1, owned: true });
    expect((await take('only-enrolled', ['device.enrolled'])).map((e) => e.udid)).toEqual(['E2']);
    // Caught up: the cursor stands at the newest settled event, past X3, whatever its type.
    const [cursor] = await ds.query(`SELECT last_id FROM event_cursors WHERE consumer = 'only-enrolled'`);
    const [newest] = await ds.query(`SELECT max(id) AS id FROM events`);
    expect(String(cursor.last_id)).toBe(String(newest.id));
    expect(handled.map((e) => e.udid)).toEqual(['E1']);

    // Nothing followed: no event handled, the cursor still moves.
    await ds.transaction((tx) => recordEvents(tx, [enrolled('E3')]));
    expect(await consumeEvents(ds, 'only-enrolled', { types: [], limit: 10 }, async () => Promise.reject(new Error('not called')))).toEqual({ read: 0, handled: 0, owned: true });
    expect(await take('only-enrolled', ['device.enrolled'])).toEqual([]);

    const plan = await ds.transaction(async (tx) => {
      await tx.query(`SET LOCAL enable_sort = off`);
      const rows: Array<{ 'QUERY PLAN': string }> = await tx.query(
        `EXPLAIN SELECT e.id, e.data FROM events e WHERE e.type = 'device.enrolled' AND (e.txid, e.id) > ('0'::xid8, 0) AND ${settledEventSql('e')} ORDER BY e.txid, e.id LIMIT 100`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using events_type_feed/);
    expect(plan).not.toMatch(/Sort/);
  });

  it('follows every catalog type a pattern names', () => {
    expect(followedTypes(undefined)).toBeUndefined();
    expect(followedTypes(['*'])).toBeUndefined();
    expect(followedTypes([])).toEqual([]);
    expect(followedTypes(['push.*', 'device.enrolled'])).toEqual(['device.enrolled', 'push.sent', 'push.sent.v2', 'push.failed', 'push.topic_stopped']);
  });
});
