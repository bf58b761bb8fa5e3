import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  AssignmentsStore,
  dataSourceOptions,
  DeviceFactsStore,
  DeviceGroupsStore,
  DeviceProfileResultsStore,
  DeviceProfilesStore,
  ProfileCommandsStore,
  ProfilesStore,
  runMigrations,
  select,
} from '@mdm/persistence';
import { scratchDatabase, type ScratchDatabase } from '@mdm/testing';
import { ReconcilerService } from './reconciler.service';

// The reconciler's stores against real Postgres, on a database of its own (no services, no Redis).
let db: ScratchDatabase;
let ds: DataSource;
let reconciler: ReconcilerService;

beforeAll(async () => {
  db = await scratchDatabase('reconciler');
  ds = new DataSource(dataSourceOptions(db.url, 4));
  await ds.initialize();
  await runMigrations(ds);
  reconciler = new ReconcilerService(ds);
});

afterAll(async () => {
  await ds.destroy();
  await db.drop();
});

interface DeviceSeed {
  enrolled?: boolean;
  /** The device's own columns, as enrollment wrote them. */
  columns?: { isSupervised?: boolean; osVersion?: string; productName?: string };
  /** The DeviceInformation answer the command service recorded (QueryResponses as JSON). */
  inventory?: Record<string, unknown>;
}

async function device(seed: DeviceSeed = {}): Promise<{ id: string; udid: string }> {
  const udid = `UDID-${randomUUID()}`;
  const [row] = await select<{ id: string }>(
    ds,
    `INSERT INTO devices (udid, enrollment_id, enrolled, is_supervised, os_version, product_name) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [udid, randomUUID(), seed.enrolled ?? true, seed.columns?.isSupervised ?? null, seed.columns?.osVersion ?? null, seed.columns?.productName ?? null],
  );
  if (seed.inventory) {
    await ds.query(`INSERT INTO device_inventories (device_id, device_information, device_information_at) VALUES ($1, $2, now())`, [row!.id, JSON.stringify(seed.inventory)]);
  }
  return { id: row!.id, udid };
}

async function profile(payloadType = 'com.apple.mobiledevice.passwordpolicy'): Promise<string> {
  const identifier = `com.example.${randomBytes(4).toString('hex')}`;
  const p = await ds.transaction(async (tx) => {
    const created = await ProfilesStore.create(tx, { name: identifier, identifier, removalDisallowed: false, description: null, payloads: [{ type: payloadType, settings: {} }] });
    await ProfilesStore.recordVersion(tx, created);
    return created;
  });
  return p.id;
}

const inventoried = { IsSupervised: true, OSVersion: '17.4', ProductName: 'iPhone15,2' };

async function outboxFor(udid: string): Promise<Array<{ action: string; profile_id: string | null; version: number | null }>> {
  return select(ds, `SELECT action, profile_id, version FROM profile_commands WHERE $1 = ANY(udids) ORDER BY created_at`, [udid]);
}

describe('profile reconciler stores', () => {
  it('reads supervision, iOS version and model from the recorded DeviceInformation, falling back to the device row', async () => {
    const answered = await device({ columns: { isSupervised: false, osVersion: '16.0', productName: 'iPad13,1' }, inventory: inventoried });
    const unanswered = await device({ columns: { isSupervised: false, osVersion: '16.0', productName: 'iPad13,1' } });
    const odd = await device({ columns: { isSupervised: true, osVersion: '16.1' }, inventory: { IsSupervised: 'yes', OSVersion: 17 } });
    const facts = new Map((await DeviceFactsStore.facts(ds, [answered.id, unanswered.id, odd.id])).map((f) => [f.id, f]));
    expect(facts.get(answered.id)).toMatchObject({ inventoried: true, supervised: true, osVersion: '17.4', productName: 'iPhone15,2' });
    expect(facts.get(unanswered.id)).toMatchObject({ inventoried: false, supervised: false, osVersion: '16.0', productName: 'iPad13,1' });
    // A value of the wrong JSON type is skipped, not cast.
    expect(facts.get(odd.id)).toMatchObject({ inventoried: true, supervised: true, osVersion: '16.1', productName: null });
  });

  it('plans one install per assigned device and profile version, and nothing more on a second pass', async () => {
    const d = await device({ inventory: inventoried });
    const profileId = await profile();
    await ds.transaction(async (tx) => {
      await AssignmentsStore.assign(tx, profileId, [d.id], []);
      await reconciler.reconcile(tx, [d.id]);
    });
    const [row] = (await DeviceProfilesStore.ofDevices(ds, [d.id])).get(d.id) ?? [];
    expect(row).toMatchObject({ profileId, desired: true, desiredVersion: 1, status: 'pending', action: 'install' });
    expect(await outboxFor(d.udid)).toEqual([{ action: 'install', profile_id: profileId, version: 1 }]);

    await ds.transaction((tx) => reconciler.reconcile(tx, [d.id]));
    expect(await outboxFor(d.udid)).toHaveLength(1);
  });

  it('holds an install back until the device has answered DeviceInformation', async () => {
    const d = await device();
    const profileId = await profile();
    await ds.transaction(async (tx) => {
      await AssignmentsStore.assign(tx, profileId, [d.id], []);
      await reconciler.reconcile(tx, [d.id]);
    });
    const [row] = (await DeviceProfilesStore.ofDevices(ds, [d.id])).get(d.id) ?? [];
    expect(row).toMatchObject({ status: 'pending', action: null, reason: 'waiting for the device inventory (DeviceInformation)' });
    expect(await outboxFor(d.udid)).toEqual([]);
  });

  it('matches a dynamic group against the inventory, and a supervised-only payload blocks elsewhere', async () => {
    const supervised = await device({ inventory: inventoried });
    const unsupervised = await device({ inventory: { ...inventoried, IsSupervised: false } });
    const groupId = await DeviceGroupsStore.create(ds, { name: `supervised-${randomUUID()}`, description: null, rule: { supervised: true } });
    const members = await reconciler.devicesOfGroup(ds, groupId);
    expect(members).toContain(supervised.id);
    expect(members).not.toContain(unsupervised.id);

    const profileId = await profile('com.apple.app.lock');
    await ds.transaction(async (tx) => {
      await AssignmentsStore.assign(tx, profileId, [unsupervised.id], [groupId]);
      await reconciler.reconcile(tx, await reconciler.devicesOfProfile(tx, profileId));
    });
    const rows = await DeviceProfilesStore.ofDevices(ds, [supervised.id, unsupervised.id]);
    expect(rows.get(supervised.id)?.[0]).toMatchObject({ status: 'pending', action: 'install' });
    expect(rows.get(unsupervised.id)?.[0]).toMatchObject({ status: 'blocked', action: null });
  });

  it('lets two replicas claim different outbox rows (SKIP LOCKED)', async () => {
    const d = await device({ inventory: inventoried });
    await ds.transaction(async (tx) => {
      await ProfileCommandsStore.plan(tx, { action: 'list', profileId: null, version: null, identifier: null, udids: [d.udid] });
      await ProfileCommandsStore.plan(tx, { action: 'list', profileId: null, version: null, identifier: null, udids: [d.udid] });
    });
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const first = await ProfileCommandsStore.claimUnprepared(runner.manager, 1000);
      const second = await ds.transaction((tx) => ProfileCommandsStore.claimUnprepared(tx, 1000));
      const ids = new Set(first.map((r) => r.id));
      expect(first.length).toBeGreaterThanOrEqual(2);
      expect(second.filter((r) => ids.has(r.id))).toEqual([]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('forgets what a checked-out device held: a desired profile waits for it to enroll again', async () => {
    // Unsupervised: no dynamic group of the tests above reaches it.
    const d = await device({ inventory: { ...inventoried, IsSupervised: false } });
    const profileId = await profile();
    await ds.transaction(async (tx) => {
      await AssignmentsStore.assign(tx, profileId, [d.id], []);
      await reconciler.reconcile(tx, [d.id]);
    });
    await ds.query(`UPDATE device_profiles SET installed_version = 1, status = 'installed', action = NULL, profile_command_id = NULL WHERE device_id = $1`, [d.id]);
    const gone = await ds.transaction((tx) => DeviceProfileResultsStore.forgetInstalled(tx, d.id, 'left'));
    expect(gone).toEqual([{ profileId, identifier: expect.any(String), installedVersion: 1 }]);
    const [row] = (await DeviceProfilesStore.ofDevices(ds, [d.id])).get(d.id) ?? [];
    expect(row).toMatchObject({ installedVersion: null, status: 'pending', reason: 'left', action: null });
  });
});
