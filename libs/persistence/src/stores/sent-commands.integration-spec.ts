import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations, SentCommandsStore } from '@mdm/persistence';
import { scratchDatabase, type ScratchDatabase } from '@mdm/testing';

/** QUEUED → SENT from groups of accepted pushes (push.sent.v2), against real Postgres. */
let db: ScratchDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await scratchDatabase('sent_commands');
  ds = new DataSource(dataSourceOptions(db.url, 2));
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

async function device(): Promise<string> {
  const [row] = (await ds.query(
    `INSERT INTO devices (udid, enrollment_id, enrolled, topic, push_token, push_magic, token_update_count)
     VALUES ($1, $2, true, 'com.apple.mgmt.External.test', $3, $4, 1) RETURNING id`,
    [randomUUID().toUpperCase(), randomUUID(), randomBytes(32).toString('hex'), randomUUID()],
  )) as Array<{ id: string }>;
  return row!.id;
}

/** A command queued for the device at `queuedAt`; returns its uuid. */
async function queued(deviceId: string, queuedAt: Date): Promise<string> {
  const uuid = randomUUID();
  await ds.query(`INSERT INTO commands (command_uuid, request_type, payload, command_plist) VALUES ($1, 'ProfileList', '{}', '<plist/>')`, [uuid]);
  await ds.query(`INSERT INTO command_deliveries (command_uuid, device_id, status, queued_at) VALUES ($1, $2, 'QUEUED', $3)`, [uuid, deviceId, queuedAt]);
  return uuid;
}

async function statusOf(uuid: string): Promise<string> {
  const [row] = (await ds.query('SELECT status FROM command_deliveries WHERE command_uuid = $1', [uuid])) as Array<{ status: string }>;
  return row!.status;
}

const at = (ms: number): Date => new Date(Date.UTC(2026, 0, 1) + ms);

describe('SentCommandsStore.markSent', () => {
  it('moves the commands queued before each group\'s bound, the later bound when a device is in two groups', async () => {
    const twice = await device();
    const once = await device();
    const absent = await device();
    const early = await queued(twice, at(0));
    const between = await queued(twice, at(2_000));
    const after = await queued(twice, at(5_000));
    const onceLate = await queued(once, at(2_000));
    const notPushed = await queued(absent, at(0));

    await ds.transaction((tx) =>
      SentCommandsStore.markSent(tx, [
        { deviceIds: [twice, once], at: at(1_000).toISOString() },
        { deviceIds: [twice], at: at(3_000).toISOString() },
      ]),
    );

    expect(await statusOf(early)).toBe('SENT');
    expect(await statusOf(between)).toBe('SENT');
    expect(await statusOf(after)).toBe('QUEUED');
    expect(await statusOf(onceLate)).toBe('QUEUED');
    expect(await statusOf(notPushed)).toBe('QUEUED');
  });

  it('leaves a command the device already answered alone', async () => {
    const d = await device();
    const uuid = await queued(d, at(0));
    await ds.query(`UPDATE command_deliveries SET status = 'ACKNOWLEDGED' WHERE command_uuid = $1`, [uuid]);
    await ds.transaction((tx) => SentCommandsStore.markSent(tx, [{ deviceIds: [d], at: at(1_000).toISOString() }]));
    expect(await statusOf(uuid)).toBe('ACKNOWLEDGED');
  });
});
