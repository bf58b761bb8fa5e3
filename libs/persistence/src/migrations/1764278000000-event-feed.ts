import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes the `events` table a feed consumers can follow without ever skipping a row, and writes the
 * `command.*` events from the database itself.
 *
 * A bigserial alone is not a safe cursor: a transaction can take id 9, another id 10 and commit first,
 * and a reader that moved past 10 never sees 9. Each event therefore records the id of the transaction
 * that wrote it (`txid`), and readers only take events of transactions older than every transaction still
 * running (`txid < pg_snapshot_xmin(pg_current_snapshot())`), ordered by `(txid, id)`: everything behind
 * that horizon has committed or never will, so a cursor on `(txid, id)` only moves over settled ground.
 *
 * Command status changes have many writers (enqueue, push outcomes, the connect channel, sweeps, cancel,
 * check-out); statement-level triggers with transition tables record one event per delivery whose status
 * changed, in the same statement, so no writer can forget one and a 100,000-device update costs one
 * INSERT ... SELECT, not 100,000.
 */
export class EventFeed1764278000000 implements MigrationInterface {
  name = 'EventFeed1764278000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX events_feed ON events (txid, id)`);
    await q.query(`
      CREATE TABLE event_cursors (
        consumer text PRIMARY KEY,
        txid xid8 NOT NULL DEFAULT '0',
        last_id bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION command_event_type(status text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT 'command.' || CASE status WHEN 'PUSH' THEN 'delivered' WHEN 'NOTNOW' THEN 'not_now' ELSE lower(status) END
      $$`);
    const insertEvents = (changed: string): string => `
        INSERT INTO events (event_id, type, udid, data, occurred_at)
        SELECT gen_random_uuid(), command_event_type(n.status), dev.udid,
               jsonb_strip_nulls(jsonb_build_object(
                 'udid', dev.udid, 'deviceId', n.device_id, 'commandUuid', n.command_uuid,
                 'requestType', c.request_type, 'status', n.status, 'reason', n.status_reason,
                 'notNowCount', n.not_now_count, 'errorChain', n.error_chain, 'answer', n.result)),
               clock_timestamp()
          FROM new_rows n
          JOIN devices dev ON dev.id = n.device_id
          JOIN commands c ON c.command_uuid = n.command_uuid
          ${changed}
         ORDER BY n.id;`;
    await q.query(`
      CREATE FUNCTION command_deliveries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${insertEvents('')}
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION command_deliveries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${insertEvents('JOIN old_rows o ON o.id = n.id WHERE o.status IS DISTINCT FROM n.status')}
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER command_deliveries_events_insert AFTER INSERT ON command_deliveries
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION command_deliveries_inserted()`);
    await q.query(`
      CREATE TRIGGER command_deliveries_events_update AFTER UPDATE ON command_deliveries
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION command_deliveries_updated()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER command_deliveries_events_update ON command_deliveries`);
    await q.query(`DROP TRIGGER command_deliveries_events_insert ON command_deliveries`);
    await q.query(`DROP FUNCTION command_deliveries_updated()`);
    await q.query(`DROP FUNCTION command_deliveries_inserted()`);
    await q.query(`DROP FUNCTION command_event_type(text)`);
    await q.query(`DROP TABLE event_cursors`);
    await q.query(`DROP INDEX events_feed`);
    await q.query(`ALTER TABLE events DROP COLUMN txid`);
  }
}
