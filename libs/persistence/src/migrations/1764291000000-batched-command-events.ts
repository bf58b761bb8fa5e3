import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Devices named by one `command.sent.v2` event at most (a chunk of delivery ids). */
const DEVICES_PER_EVENT = 1000;

/** The per-device event of a delivery row `x` (device's `udid`, command row `cmd`), as before this migration. */
const perDeviceEvent = `
        SELECT gen_random_uuid(), command_event_type(x.status), x.udid,
               jsonb_strip_nulls(jsonb_build_object(
                 'udid', x.udid, 'deviceId', x.device_id, 'commandUuid', x.command_uuid,
                 'requestType', (x.cmd).request_type, 'status', x.status, 'reason', x.status_reason,
                 'notNowCount', x.not_now_count, 'errorChain', x.error_chain, 'answer', x.result,
                 'correlationId', (x.cmd).correlation_id)),
               clock_timestamp()`;

/**
 * One `command.sent.v2` per command and chunk of the rows `x` (`id`, `command_uuid`, `device_id`, `udid`),
 * naming their devices; one naming a single device has its UDID in the `udid` column, as a per-device event.
 */
const sentEvents = (rows: string): string => `
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        SELECT gen_random_uuid(), 'command.sent.v2', CASE WHEN g.n = 1 THEN g.devices -> 0 ->> 'udid' END,
               jsonb_build_object('commandUuid', g.command_uuid, 'requestType', c.request_type, 'status', 'SENT', 'devices', g.devices)
                 || jsonb_strip_nulls(jsonb_build_object('correlationId', c.correlation_id)),
               clock_timestamp()
          FROM (SELECT x.command_uuid, count(*) AS n, min(x.id) AS first_id,
                       jsonb_agg(jsonb_build_object('udid', x.udid, 'deviceId', x.device_id) ORDER BY x.id) AS devices
                  FROM (${rows}) x
                 GROUP BY x.command_uuid, x.id / ${DEVICES_PER_EVENT}) g
          JOIN commands c ON c.command_uuid = g.command_uuid
         ORDER BY g.first_id;`;

/**
 * A fleet-wide command costs per device only what carries information:
 * - `command.queued` and `command.sent` are bookkeeping written for every device of a fan-out: they give way
 *   to `command.queued.v2` and `command.sent.v2`, one event per command and chunk of devices naming them all
 *   (`devices`); every other transition stays per device.
 * - Deliveries are inserted only by `CommandDeliveriesStore`, whose insert statements write their events
 *   themselves from the UDIDs the caller holds: the insert trigger (a transition table and a join with
 *   `devices`, per row) goes. Status changes keep their trigger.
 * - `command_deliveries` loses its foreign keys: each checked, per row, a device and a command the same
 *   transaction had just read or written, and locked the device row. Nothing deletes devices or commands.
 */
export class BatchedCommandEvents1764291000000 implements MigrationInterface {
  name = 'BatchedCommandEvents1764291000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER command_deliveries_events_insert ON command_deliveries`);
    await q.query(`DROP FUNCTION command_deliveries_inserted()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql
      SET enable_hashjoin = on AS $$
      BEGIN
        ${sentEvents(
          `SELECT n.id, n.command_uuid, n.device_id, (SELECT d.udid FROM devices d WHERE d.id = n.device_id) AS udid
             FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status = 'SENT' AND o.status IS DISTINCT FROM n.status OFFSET 0`,
        )}
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        ${perDeviceEvent}
          FROM (SELECT n.*, (SELECT d.udid FROM devices d WHERE d.id = n.device_id) AS udid,
                       (SELECT c FROM commands c WHERE c.command_uuid = n.command_uuid) AS cmd
                  FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE o.status IS DISTINCT FROM n.status AND n.status <> 'SENT'
                OFFSET 0) x
         ORDER BY x.id;
        RETURN NULL;
      END $$`);
    await q.query(`ALTER TABLE command_deliveries DROP CONSTRAINT command_deliveries_device_id_fkey, DROP CONSTRAINT command_deliveries_command_uuid_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE command_deliveries
        ADD CONSTRAINT command_deliveries_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        ADD CONSTRAINT command_deliveries_command_uuid_fkey FOREIGN KEY (command_uuid) REFERENCES commands (command_uuid) ON DELETE CASCADE`);
    const every = (rows: string): string => `
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        ${perDeviceEvent}
          FROM (SELECT n.*, (SELECT d.udid FROM devices d WHERE d.id = n.device_id) AS udid,
                       (SELECT c FROM commands c WHERE c.command_uuid = n.command_uuid) AS cmd
                  FROM ${rows} OFFSET 0) x
         ORDER BY x.id;`;
    await q.query(`
      CREATE FUNCTION command_deliveries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${every('new_rows n')}
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER command_deliveries_events_insert AFTER INSERT ON command_deliveries
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION command_deliveries_inserted()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql
      SET enable_hashjoin = on AS $$
      BEGIN
        ${every('new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status IS DISTINCT FROM n.status')}
        RETURN NULL;
      END $$`);
  }
}
