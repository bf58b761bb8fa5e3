import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Less work on the two hottest paths (a fleet-wide push, every device's connect):
 * - `command_deliveries_updated()` runs with hash joins on, whatever its caller set (`preferIndexLookups`):
 *   transition tables have no index, so pairing `old_rows` with `new_rows` in a nested loop costs 256 × 256
 *   comparisons per group of pushes. Each row's device and command are read by primary key.
 * - `devices` has fillfactor 85: its rows change constantly in columns no index covers, and room on the page
 *   keeps those updates HOT instead of writing every index again.
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
