import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CommandStatus } from '@mdm/contracts';
import {
  CommandDeliveriesStore,
  CommandDevicesStore,
  CommandsStore,
  dataSourceOptions,
  DeviceActivityStore,
  runMigrations,
  select,
} from '@mdm/persistence';
import { scratchDatabase, type ScratchDatabase } from '@mdm/testing';

// The connect channel's statements against real Postgres (a database of its own, dropped afterwards).
let db: ScratchDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await scratchDatabase('connect');
  ds = new DataSource(dataSourceOptions(db.url, 4));
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

const minutesAgo = (n: number): Date => new Date(Date.now() - n * 60_000);

/** An enrolled device whose latest Authenticate was `authenticatedAt`. */
async function device(authenticatedAt: Date | null = minutesAgo(60)): Promise<{ id: string; udid: string }> {
  const udid = `CONNECT-${randomBytes(4).toString('hex')}`;
  const [row] = await select<{ id: string }>(
    ds,
    `INSERT INTO devices (udid, enrollment_id, enrolled, cert_fingerprint, authenticated_at) VALUES ($1, $2, true, 'fp', $3) RETURNING id`,
    [udid, randomUUID(), authenticatedAt],
  );
  return { id: row!.id, udid };
}

/** A command queued for `deviceId` at `queuedAt`; returns its UUID. */
async function queue(deviceId: string, options: { queuedAt?: Date; expiresAt?: Date | null; requestType?: string } = {}): Promise<string> {
  const commandUuid = randomUUID();
  await ds.transaction(async (tx) => {
    const requestType = options.requestType ?? 'ProfileList';
    await CommandsStore.insert(tx, { commandUuid, requestType, payload: { RequestType: requestType }, commandPlist: `<plist>${commandUuid}</plist>`, expiresAt: options.expiresAt ?? null, correlationId: null });
    await CommandDeliveriesStore.insertQueued(tx, commandUuid, [deviceId], options.queuedAt ?? new Date());
  });
  return commandUuid;
}

async function statusOf(commandUuid: string): Promise<{ status: string; status_reason: string | null; not_now_count: number }> {
  const [row] = await select<{ status: string; status_reason: string | null; not_now_count: number }>(
    ds,
    `SELECT status, status_reason, not_now_count FROM command_deliveries WHERE command_uuid = $1`,
    [commandUuid],
  );
  return row!;
}

const ALL_OPEN = [CommandStatus.Queued, CommandStatus.Sent, CommandStatus.Push, CommandStatus.NotNow];

describe('connect channel stores', () => {
  it('reads the connecting device and whether it has anything open', async () => {
    expect(await CommandDevicesStore.connecting(ds, 'NO-SUCH-UDID')).toBeUndefined();
    const d = await device();
    expect(await CommandDevicesStore.connecting(ds, d.udid)).toMatchObject({ id: d.id, enrolled: true, certFingerprint: 'fp', open: false });
    await queue(d.id);
    expect(await CommandDevicesStore.connecting(ds, d.udid)).toMatchObject({ open: true });
  });

  it('hands out the oldest eligible command once, then the next', async () => {
    const d = await device();
    const first = await queue(d.id);
    const second = await queue(d.id);
    const take = (eligible: CommandStatus[]) =>
      ds.transaction(async (tx) => {
        const next = await CommandDeliveriesStore.lockNext(tx, d.id, eligible, minutesAgo(60));
        if (next) await CommandDeliveriesStore.markDelivered(tx, next.id);
        return next?.commandUuid;
      });
    expect(await take([CommandStatus.Queued, CommandStatus.Sent])).toBe(first);
    expect((await statusOf(first)).status).toBe(CommandStatus.Push);
    // A command handed out and not answered is offered again only at the start of a session.
    expect(await take([CommandStatus.Queued, CommandStatus.Sent])).toBe(second);
    expect(await take([CommandStatus.Queued, CommandStatus.Sent])).toBeUndefined();
    expect(await take(ALL_OPEN)).toBe(first);
  });

  it('never serves, expires or counts what was queued before the latest Authenticate', async () => {
    const authenticatedAt = minutesAgo(5);
    const d = await device(authenticatedAt);
    const stale = await queue(d.id, { queuedAt: minutesAgo(10), expiresAt: minutesAgo(1) });
    expect(await CommandDevicesStore.connecting(ds, d.udid)).toMatchObject({ open: false });
    expect(await CommandDeliveriesStore.countOpenOf(ds, d.id)).toBe(0);
    const next = await ds.transaction(async (tx) => {
      await CommandDeliveriesStore.expireOpenOf(tx, d.id, authenticatedAt);
      return CommandDeliveriesStore.lockNext(tx, d.id, ALL_OPEN, authenticatedAt);
    });
    expect(next).toBeUndefined();
    // Left for the command service to cancel with the enrollment's reason.
    expect((await statusOf(stale)).status).toBe(CommandStatus.Queued);

    const current = await queue(d.id);
    expect(await CommandDevicesStore.connecting(ds, d.udid)).toMatchObject({ open: true });
    expect(await CommandDeliveriesStore.countOpenOf(ds, d.id)).toBe(1);
    const canceled = await ds.transaction((tx) => CommandDeliveriesStore.cancelQueuedBefore(tx, d.udid, authenticatedAt, 'device re-enrolled (Authenticate)'));
    expect(canceled).toBe(1);
    expect(await statusOf(stale)).toMatchObject({ status: CommandStatus.Canceled, status_reason: 'device re-enrolled (Authenticate)' });
    expect((await statusOf(current)).status).toBe(CommandStatus.Queued);
  });

  it('expires an open command past its expiresAt instead of handing it out', async () => {
    const d = await device();
    const expired = await queue(d.id, { expiresAt: minutesAgo(1) });
    const live = await queue(d.id, { expiresAt: new Date(Date.now() + 3_600_000) });
    const [first, next] = await ds.transaction(async (tx) => {
      // The next command says it expired: the connect then expires what is due and looks again.
      const before = await CommandDeliveriesStore.lockNext(tx, d.id, ALL_OPEN, null);
      await CommandDeliveriesStore.expireOpenOf(tx, d.id, null);
      return [before, await CommandDeliveriesStore.lockNext(tx, d.id, ALL_OPEN, null)];
    });
    expect(first).toMatchObject({ commandUuid: expired, expired: true });
    expect(next).toMatchObject({ commandUuid: live, expired: false });
    expect(await statusOf(expired)).toMatchObject({ status: CommandStatus.Expired, status_reason: 'expired before delivery' });
  });

  it('records NotNow and final answers on the locked delivery', async () => {
    const d = await device();
    const c = await queue(d.id);
    await ds.transaction(async (tx) => {
      const delivery = await CommandDeliveriesStore.lock(tx, c, d.id);
      expect(delivery).toMatchObject({ status: CommandStatus.Queued, notNowCount: 0, correlationId: null });
      await CommandDeliveriesStore.recordNotNow(tx, delivery!.id);
    });
    expect(await statusOf(c)).toMatchObject({ status: CommandStatus.NotNow, not_now_count: 1 });
    await ds.transaction(async (tx) => {
      const delivery = await CommandDeliveriesStore.lock(tx, c, d.id);
      await CommandDeliveriesStore.finish(tx, delivery!.id, CommandStatus.Acknowledged, null, { ProfileList: [] });
    });
    const [row] = await select<{ status: string; result: unknown; completed_at: Date | null }>(ds, `SELECT status, result, completed_at FROM command_deliveries WHERE command_uuid = $1`, [c]);
    expect(row).toMatchObject({ status: CommandStatus.Acknowledged, result: { ProfileList: [] } });
    expect(row!.completed_at).toBeInstanceOf(Date);
    expect(await ds.transaction((tx) => CommandDeliveriesStore.lock(tx, randomUUID(), d.id))).toBeUndefined();
  });

  it('writes last seen and DeviceInformation facts on the device the way its owner does', async () => {
    const d = await device();
    const newer = new Date();
    await ds.transaction((tx) => DeviceActivityStore.markSeen(tx, [d.id], [newer]));
    // An older time (a batch that arrived late) never moves it back.
    await ds.transaction((tx) => DeviceActivityStore.markSeen(tx, [d.id], [minutesAgo(10)]));
    await ds.transaction((tx) => DeviceActivityStore.applyFacts(tx, d.id, { osVersion: '18.1', isSupervised: true }));
    await ds.transaction((tx) => DeviceActivityStore.applyFacts(tx, d.id, { deviceName: 'Front desk' }));
    const [row] = await select<{ last_seen_at: Date; os_version: string; is_supervised: boolean; device_name: string }>(
      ds,
      `SELECT last_seen_at, os_version, is_supervised, device_name FROM devices WHERE id = $1`,
      [d.id],
    );
    expect(row).toMatchObject({ os_version: '18.1', is_supervised: true, device_name: 'Front desk' });
    expect(row!.last_seen_at.getTime()).toBe(newer.getTime());
  });
});
