import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cheaper writes on the two hottest paths (a fleet-wide push, and every device's connect):
 *
 * - `command_deliveries_updated()` (the `command.*` events of a status change) paired `new_rows` with
 *   `old_rows` in the same join as `devices` and `commands`. Transition tables have no index, so once a
 *   caller turned hash joins off for its transaction (`preferIndexLookups`, as `push.accepted` and the
 *   connect path do) that pairing became a nested loop: 256 × 256 comparisons for a group of 256 pushes,
 *   the largest single cost of a push in Postgres. Now the function turns hash joins back on for itself
 *   only (a `SET` clause is undone when the function returns), pairs old and new rows by hash, and reads
 *   the device and command of each row with a sub-select on their primary keys, which no setting or stale
 *   statistic can turn into a scan. The events it writes are unchanged.
 * - `devices` gets fillfactor 85: its rows change constantly (last seen, last push, tokens) in columns no
 *   index covers, and a page with room keeps such an update on the page (HOT) instead of writing a new
 *   entry in every index of the table (one of them computes `os_version_key()` for it). Only pages
 *   written from now on keep the room; existing ones get it as they are rewritten.
 */
export class HotPaths1764284000000 implements MigrationInterface {
  name = 'HotPaths1764284000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql
      SET enable_hashjoin = on AS $$
      BEGIN
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        SELECT gen_random_uuid(), command_event_type(x.status), x.udid,
               jsonb_strip_nulls(jsonb_build_object(
                 'udid', x.udid, 'deviceId', x.device_id, 'commandUuid', x.command_uuid,
                 'requestType', (x.cmd).request_type, 'status', x.status, 'reason', x.status_reason,
                 'notNowCount', x.not_now_count, 'errorChain', x.error_chain, 'answer', x.result,
                 'correlationId', (x.cmd).correlation_id)),
               clock_timestamp()
          FROM (SELECT n.id, n.device_id, n.command_uuid, n.status, n.status_reason, n.not_now_count, n.error_chain, n.result,
                       (SELECT d.udid FROM devices d WHERE d.id = n.device_id) AS udid,
                       (SELECT c FROM commands c WHERE c.command_uuid = n.command_uuid) AS cmd
                  FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE o.status IS DISTINCT FROM n.status
                OFFSET 0) x
         ORDER BY x.id;
        RETURN NULL;
      END $$`);
    await q.query(`ALTER TABLE devices SET (fillfactor = 85)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices RESET (fillfactor)`);
    await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        SELECT gen_random_uuid(), command_event_type(n.status), dev.udid,
               jsonb_strip_nulls(jsonb_build_object(
                 'udid', dev.udid, 'deviceId', n.device_id, 'commandUuid', n.command_uuid,
                 'requestType', c.request_type, 'status', n.status, 'reason', n.status_reason,
                 'notNowCount', n.not_now_count, 'errorChain', n.error_chain, 'answer', n.result,
                 'correlationId', c.correlation_id)),
               clock_timestamp()
          FROM new_rows n
          JOIN devices dev ON dev.id = n.device_id
          JOIN commands c ON c.command_uuid = n.command_uuid
          JOIN old_rows o ON o.id = n.id WHERE o.status IS DISTINCT FROM n.status
         ORDER BY n.id;
        RETURN NULL;
      END $$`);
  }
}
