import { DataSource, type DataSourceOptions } from 'typeorm';
import { EnrollmentConfigurations1764275000000 } from './migrations/1764275000000-enrollment-configurations';
import { ApnsCertificateLifecycle1764274000000 } from './migrations/1764274000000-apns-certificate-lifecycle';
import { InitialSchema1764268800000 } from './migrations/1764268800000-initial-schema';
import { Events1764270000000 } from './migrations/1764270000000-events';
import { PushRequests1764273500000 } from './migrations/1764273500000-push-requests';
import { EnrollmentIdentity1764271000000 } from './migrations/1764271000000-enrollment-identity';
import { Profiles1764276000000 } from './migrations/1764276000000-profiles';
import { IdempotencyKeys1764277000000 } from './migrations/1764277000000-idempotency-keys';
import { ApiKeys1764279000000 } from './migrations/1764279000000-api-keys';
import { EventFeed1764278000000 } from './migrations/1764278000000-event-feed';
import { ProfileAssignments1764281000000 } from './migrations/1764281000000-profile-assignments';
import { ListIndexes1764282000000 } from './migrations/1764282000000-list-indexes';
import { Webhooks1764280000000 } from './migrations/1764280000000-webhooks';
import { CorrelationIds1764283000000 } from './migrations/1764283000000-correlation-ids';
import { HotPaths1764284000000 } from './migrations/1764284000000-hot-paths';
import { DeviceInventory1764286000000 } from './migrations/1764286000000-device-inventory';
import { DeviceInformationInInventory1764287000000 } from './migrations/1764287000000-device-information-in-inventory';
import { DevicePushStatus1764288000000 } from './migrations/1764288000000-device-push-status';
import { LeanPushRequests1764290000000 } from './migrations/1764290000000-lean-push-requests';
import { BatchedCommandEvents1764291000000 } from './migrations/1764291000000-batched-command-events';

/** In timestamp order, as TypeORM applies them (a unit test checks it). */
export const MIGRATIONS = [
  InitialSchema1764268800000,
  Events1764270000000,
  EnrollmentIdentity1764271000000,
  PushRequests1764273500000,
  ApnsCertificateLifecycle1764274000000,
  EnrollmentConfigurations1764275000000,
  Profiles1764276000000,
  IdempotencyKeys1764277000000,
  EventFeed1764278000000,
  ApiKeys1764279000000,
  Webhooks1764280000000,
  ProfileAssignments1764281000000,
  ListIndexes1764282000000,
  CorrelationIds1764283000000,
  HotPaths1764284000000,
  DeviceInventory1764286000000,
  DeviceInformationInInventory1764287000000,
  DevicePushStatus1764288000000,
  LeanPushRequests1764290000000,
  BatchedCommandEvents1764291000000,
];

/** Arbitrary but fixed: every service takes this Postgres advisory lock before migrating. */
const MIGRATION_LOCK_ID = 7_212_001;

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    // The schema only ever changes through migrations.
    synchronize: false,
    poolSize,
    extra: { connectionTimeoutMillis: 5000 },
  };
}

/**
 * Runs pending migrations under an advisory lock, so every service starting at once (or N push
 * replicas) migrate exactly once and the others wait.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await runner.release();
  }
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
