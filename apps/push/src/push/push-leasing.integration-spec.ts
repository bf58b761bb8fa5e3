import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions, DevicePushStatusStore, insertPushRequests, PushClaimsStore, runMigrations } from '@mdm/persistence';
import { scratchDatabase, type ScratchDatabase } from '@mdm/testing';

/** Push leasing against real Postgres (no Redis, no APNs): the statements the push worker's correctness rests on. */
const LEASE_MS = 60_000;
/** A lease that ran out the moment it was taken: stands in for a worker that died, without waiting. */
const EXPIRED_LEASE_MS = -1_000;

let db: ScratchDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await scratchDatabase('leasing');
  ds = new DataSource(dataSourceOptions(db.url, 4));
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

/** An enrolled device with a push token, as enrollment leaves it after a TokenUpdate. */
async function enrolledDevice(): Promise<{ id: string; token: string; enrollmentId: string }> {
  const token = randomBytes(32).toString('hex');
  const enrollmentId = randomUUID();
  const [row] = (await ds.query(
    `INSERT INTO devices (udid, enrollment_id, enrolled, topic, push_token, push_magic, token_update_count)
     VALUES ($1, $2, true, 'com.apple.mgmt.External.test', $3, $4, 1) RETURNING id`,
    [randomUUID().toUpperCase(), enrollmentId, token, randomUUID()],
  )) as Array<{ id: string }>;
  return { id: row!.id, token, enrollmentId };
}

async function requestFor(deviceId: string): Promise<string> {
  const ids = await ds.transaction((tx) => insertPushRequests(tx, [deviceId], 'manual', 0));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function claim(ids: string[], owner: string, leaseMs = LEASE_MS) {
  return ds.transaction((tx) => PushClaimsStore.claim(tx, ids, owner, leaseMs));
}

async function leaseOf(id: string): Promise<{ status: string; lease_owner: string | null; lease_until: Date | null } | undefined> {
  const [row] = (await ds.query('SELECT status, lease_owner, lease_until FROM push_requests WHERE id = $1', [id])) as Array<{ status: string; lease_owner: string | null; lease_until: Date | null }>;
  return row;
}

/** Until another session of this database waits on a row lock (the insert racing an open transaction). */
async function untilWaitingOnALock(): Promise<void> {
  for (;;) {
    const [row] = (await ds.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )) as Array<{ n: number }>;
    if (row!.n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Every row of a device, with what coalescing and the release read. */
async function rowsOf(deviceId: string): Promise<Array<{ id: string; status: string; again: boolean; leased: boolean; due_in_ms: number }>> {
  return (await ds.query(
    `SELECT id::text AS id, status, again, lease_until IS NOT NULL AS leased,
            extract(epoch FROM not_before - now())::float8 * 1000 AS due_in_ms
       FROM push_requests WHERE device_id = $1 ORDER BY id`,
    [deviceId],
  )) as Array<{ id: string; status: string; again: boolean; leased: boolean; due_in_ms: number }>;
}

const sent = (id: string) => ({ id, status: 'sent' as const, outcome: 'sent', reason: null, apnsId: 'apns-1' });
const refused = (id: string) => ({ id, status: 'failed' as const, outcome: 'failed', reason: 'BadTopic', apnsId: 'apns-1' });

describe('push leasing', () => {
  it('claims a pending request once, with what sending needs; a live lease keeps other workers out', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    const [claimed] = await claim([id], 'worker-a');
    expect(claimed).toMatchObject({ id, deviceId: device.id, attempt: 1, enrolled: true, pushToken: device.token, enrollmentId: device.enrollmentId, deadToken: null });
    expect(await claim([id], 'worker-b')).toEqual([]);
    expect(await leaseOf(id)).toMatchObject({ status: 'pending', lease_owner: 'worker-a' });
  });

  it('renews only its own live lease', async () => {
    const id = await requestFor((await enrolledDevice()).id);
    await claim([id], 'worker-a', 1_000);
    const before = (await leaseOf(id))!.lease_until!;
    await PushClaimsStore.renew(ds, [id], 'worker-b', LEASE_MS);
    expect((await leaseOf(id))!.lease_until).toEqual(before);
    await PushClaimsStore.renew(ds, [id], 'worker-a', LEASE_MS);
    expect((await leaseOf(id))!.lease_until!.getTime()).toBeGreaterThan(before.getTime() + 30_000);
  });

  it('sweeps a dead worker\'s expired lease; the new owner sends it and the old one can no longer record it', async () => {
    const id = await requestFor((await enrolledDevice()).id);
    await claim([id], 'dead-worker', EXPIRED_LEASE_MS);
    expect(await PushClaimsStore.unattended(ds, LEASE_MS, 1000)).toContain(id);
    expect(await claim([id], 'survivor')).toHaveLength(1);
    expect(await PushClaimsStore.unattended(ds, LEASE_MS, 1000)).not.toContain(id);

    const late = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'dead-worker', [sent(id)], new Date()));
    expect(late.written.size).toBe(0);
    const mine = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'survivor', [sent(id)], new Date()));
    expect([...mine.written]).toEqual([id]);
    // Sent: nothing left to keep, to claim or to sweep.
    expect(await leaseOf(id)).toBeUndefined();
    expect(await claim([id], 'worker-c', EXPIRED_LEASE_MS)).toEqual([]);
  });

  it('a claim is a HOT update of the lease columns: the request stays pending and still coalesces', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    expect(await rowsOf(device.id)).toMatchObject([{ id, status: 'pending', again: false, leased: true }]);
    expect(await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'command', 0))).toEqual([id]);
    expect(await rowsOf(device.id)).toMatchObject([{ id, status: 'pending', again: true, leased: true }]);
  });

  it('a request a command coalesced into while it was sent is released, not deleted, and pushed once more', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'command', 0));
    const done = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-a', [sent(id)], new Date()));
    expect([...done.written]).toEqual([id]);
    expect(done.released).toEqual([{ id, delayMs: 0 }]);
    expect(await rowsOf(device.id)).toMatchObject([{ id, status: 'pending', again: false, leased: false }]);
    await PushClaimsStore.renew(ds, [id], 'worker-a', LEASE_MS);
    expect((await leaseOf(id))!.lease_until).toBeNull();
    // The second push: nothing coalesced since, so its completion deletes the row.
    expect(await claim([id], 'worker-b')).toHaveLength(1);
    const again = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-b', [sent(id)], new Date()));
    expect(again.released).toEqual([]);
    expect(await rowsOf(device.id)).toEqual([]);
  });

  it('a failed push with a command coalesced into it is released to push again, not kept as history', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'command', 0));
    const done = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-a', [refused(id)], new Date()));
    expect(done.released).toEqual([{ id, delayMs: 0 }]);
    expect(await rowsOf(device.id)).toMatchObject([{ id, status: 'pending', again: false, leased: false }]);
  });

  it('a NotNow delay coalesced into a request in flight is kept for the push again; an earlier one brings it forward', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'notnow', 300_000));
    expect((await rowsOf(device.id))[0]!.due_in_ms).toBeGreaterThan(250_000);
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'notnow', 600_000));
    expect((await rowsOf(device.id))[0]!.due_in_ms).toBeLessThan(300_001);
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'command', 120_000));
    expect((await rowsOf(device.id))[0]!.due_in_ms).toBeLessThan(120_001);
    const done = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-a', [sent(id)], new Date()));
    expect(done.released).toHaveLength(1);
    expect(done.released[0]!.delayMs).toBeGreaterThan(60_000);
    expect(done.released[0]!.delayMs).toBeLessThanOrEqual(120_000);
  });

  it('a command coalescing while the completion deletes the row waits for it and then gets a row of its own', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    let inserted: Promise<string[]> | undefined;
    await ds.transaction(async (tx) => {
      const done = await PushClaimsStore.complete(tx, 'worker-a', [sent(id)], new Date());
      expect(done.released).toEqual([]);
      // Blocks on the deleted row's lock until this transaction commits.
      inserted = ds.transaction((other) => insertPushRequests(other, [device.id], 'command', 0));
      await untilWaitingOnALock();
    });
    const ids = await inserted!;
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(id);
    expect(await rowsOf(device.id)).toMatchObject([{ id: ids[0], status: 'pending', again: false, leased: false }]);
  });

  it('after a lease ran out, the survivor\'s claim covers what coalesced and the dead worker can release nothing', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'dead-worker', EXPIRED_LEASE_MS);
    await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'command', 0));
    expect(await rowsOf(device.id)).toMatchObject([{ again: true, leased: true }]);
    expect(await PushClaimsStore.unattended(ds, LEASE_MS, 1000)).toContain(id);
    expect(await claim([id], 'survivor')).toHaveLength(1);
    expect(await rowsOf(device.id)).toMatchObject([{ again: false, leased: true }]);
    const late = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'dead-worker', [sent(id)], new Date()));
    expect(late).toEqual({ written: new Set(), released: [] });
    const mine = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'survivor', [sent(id)], new Date()));
    expect(mine.released).toEqual([]);
    expect(await rowsOf(device.id)).toEqual([]);
  });

  it('two workers claiming the same requests at once: each request is claimed by one of them', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => requestFor((await enrolledDevice()).id)));
    const [a, b] = await Promise.all([claim(ids, 'worker-a'), claim(ids, 'worker-b')]);
    expect([...a, ...b].map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  it('keeps a failed request as history, no longer claimable, renewable or swept', async () => {
    const id = await requestFor((await enrolledDevice()).id);
    await claim([id], 'worker-a', EXPIRED_LEASE_MS);
    const mine = await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-a', [refused(id)], new Date()));
    expect([...mine.written]).toEqual([id]);
    expect(await leaseOf(id)).toEqual({ status: 'failed', lease_owner: 'worker-a', lease_until: null });
    expect(await claim([id], 'worker-c', EXPIRED_LEASE_MS)).toEqual([]);
    await PushClaimsStore.renew(ds, [id], 'worker-a', LEASE_MS);
    expect((await leaseOf(id))!.lease_until).toBeNull();
    expect(await PushClaimsStore.unattended(ds, EXPIRED_LEASE_MS, 1000)).not.toContain(id);
  });

  it('sweeps a pending request whose job was lost once it is overdue', async () => {
    const id = await requestFor((await enrolledDevice()).id);
    expect(await PushClaimsStore.unattended(ds, LEASE_MS, 1000)).not.toContain(id);
    expect(await PushClaimsStore.unattended(ds, EXPIRED_LEASE_MS, 1000)).toContain(id);
  });

  it('a dead token stops new requests until the next TokenUpdate, even one with the same token', async () => {
    const device = await enrolledDevice();
    const id = await requestFor(device.id);
    await claim([id], 'worker-a');
    await ds.transaction(async (tx) => {
      await PushClaimsStore.complete(tx, 'worker-a', [{ id, status: 'failed', outcome: 'dead-token', reason: 'Unregistered', apnsId: null }], new Date());
      await DevicePushStatusStore.recordAttempts(tx, [{ deviceId: device.id, outcome: 'dead-token: Unregistered' }], new Date());
      await DevicePushStatusStore.recordDeadTokens(tx, [
        { deviceId: device.id, token: device.token, enrollmentId: device.enrollmentId, tokenUpdateCount: 1, at: new Date(), reason: 'Unregistered' },
      ]);
    });
    expect(await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'manual', 0))).toEqual([]);
    const status = (await DevicePushStatusStore.ofDevices(ds, [device.id])).get(device.id);
    expect(status).toMatchObject({ lastPushOutcome: 'dead-token: Unregistered', deadToken: { token: device.token, reason: 'Unregistered' } });

    await ds.query('UPDATE devices SET token_update_count = token_update_count + 1 WHERE id = $1', [device.id]);
    expect(await ds.transaction((tx) => insertPushRequests(tx, [device.id], 'manual', 0))).toHaveLength(1);
  });

  it('deletes failed history older than the kept days, never unfinished requests', async () => {
    const finished = await requestFor((await enrolledDevice()).id);
    const pending = await requestFor((await enrolledDevice()).id);
    await claim([finished], 'worker-a');
    await ds.transaction((tx) => PushClaimsStore.complete(tx, 'worker-a', [refused(finished)], new Date(Date.now() - 3 * 86_400_000)));
    await PushClaimsStore.deleteHistory(ds, 2);
    const left = (await ds.query('SELECT id::text AS id FROM push_requests WHERE id = ANY($1::bigint[])', [[finished, pending]])) as Array<{ id: string }>;
    expect(left.map((r) => r.id)).toEqual([pending]);
  });
});
