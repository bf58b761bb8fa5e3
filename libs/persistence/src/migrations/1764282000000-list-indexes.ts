import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the sorts and filters of the admin API's lists (`@mdm/contracts` list-query.ts).
 *
 * - `os_version_key(text)`: a version as an integer array (`17.10.1` → `{17,10,1}`), so versions sort and
 *   compare numerically (`osVersion` sort, `osMin` filter) rather than as text (where 17.10 < 17.9).
 *   Non-numeric parts are skipped and each part is capped, so the function never raises on what a
 *   device reports: an index on an expression that can fail would make that device's writes fail.
 * - `devices (enrolled_at DESC NULLS LAST, id DESC)`: most recently enrolled first is the usual reading.
 * - No index on `last_seen_at`: it changes on every check-in and connect, and an indexed column that
 *   changes rules out HOT updates on the device row's hottest path. Sorting by it is a top-N sort.
 * - Events: the log is read in commit order `(txid, id)` (event-feed migration), also when filtered by
 *   device or type, so the per-device and per-type indexes end in `(txid, id)`; they replace the `(id)`
 *   ones rather than join them, as a fleet-wide command inserts 100,000 events.
 */
export class ListIndexes1764282000000 implements MigrationInterface {
  name = 'ListIndexes1764282000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION os_version_key(version text) RETURNS int[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(least(part[1]::numeric, 2147483647)::int ORDER BY n), '{}')
          FROM regexp_matches(version, '(\\d+)', 'g') WITH ORDINALITY AS t(part, n)
      $$`);
    await q.query(`CREATE INDEX devices_os_version_key ON devices (os_version_key(os_version), id)`);
    await q.query(`CREATE INDEX devices_enrolled_at ON devices (enrolled_at DESC NULLS LAST, id DESC)`);
    await q.query(`CREATE INDEX events_udid_feed ON events (udid, txid, id)`);
    await q.query(`DROP INDEX events_udid`);
    await q.query(`CREATE INDEX events_type_feed ON events (type, txid, id)`);
    await q.query(`DROP INDEX events_type`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX events_type ON events (type, id)`);
    await q.query(`DROP INDEX events_type_feed`);
    await q.query(`CREATE INDEX events_udid ON events (udid, id)`);
    await q.query(`DROP INDEX events_udid_feed`);
    await q.query(`DROP INDEX devices_enrolled_at`);
    await q.query(`DROP INDEX devices_os_version_key`);
    await q.query(`DROP FUNCTION os_version_key(text)`);
  }
}
