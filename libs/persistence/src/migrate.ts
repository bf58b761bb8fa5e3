/* Standalone migration runner: `npm run migrate` (or `node dist/libs/persistence/src/migrate.js`). */
import { createDataSource, runMigrations } from './data-source';
import { loadMigrateConfig } from './migrate.config';

async function main(): Promise<void> {
  const url = loadMigrateConfig().DATABASE_URL;
  // Two connections: one holds the advisory lock while the other migrates.
  const ds = createDataSource(url, 2);
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
