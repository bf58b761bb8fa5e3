import type { EntityManager } from 'typeorm';

/**
 * What a store needs to run SQL: the `DataSource` for a statement on its own, or the `EntityManager` of
 * the caller's transaction, so several stores can write in one transaction.
 */
export type Sql = Pick<EntityManager, 'query'>;

/**
 * The rows of a statement: TypeORM's Postgres driver answers UPDATE and DELETE with `[rows, rowCount]`
 * but INSERT and SELECT with the rows alone.
 */
export function rowsOf<T>(raw: unknown): T[] {
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') return raw[0] as T[];
  return raw as T[];
}

/** How many rows an UPDATE or DELETE touched. */
export function rowCountOf(raw: unknown): number {
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') return raw[1];
  return Array.isArray(raw) ? raw.length : 0;
}

/** Runs a statement and returns its rows. */
export async function select<T>(sql: Sql, text: string, params: readonly unknown[] = []): Promise<T[]> {
  return rowsOf<T>(await sql.query(text, params as unknown[]));
}

/** Runs a statement and returns its first row, if any. */
export async function selectOne<T>(sql: Sql, text: string, params: readonly unknown[] = []): Promise<T | undefined> {
  return (await select<T>(sql, text, params))[0];
}

/**
 * For the rest of the caller's transaction: join small id lists (`unnest($1)`, `= ANY($1)`) to big tables
 * by primary-key lookups, never by scanning. Without it the planner, whose statistics lag behind a bulk
 * load (100,000 rows inserted a second ago, autovacuum not yet run), hash-joins each group of 256 outcomes
 * against a sequential scan of `devices`, `command_deliveries` or every `sending` row of `push_requests`:
 * O(table) per group, O(N²) for a fleet push. Only for statements that look rows up by key.
 */
export async function preferIndexLookups(tx: Sql): Promise<void> {
  await tx.query(
    `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
            set_config('enable_mergejoin', 'off', true), set_config('enable_bitmapscan', 'off', true)`,
  );
}

/** Whether Postgres answers (readiness probes). */
export async function pingDatabase(sql: Sql): Promise<void> {
  await sql.query('SELECT 1');
}
