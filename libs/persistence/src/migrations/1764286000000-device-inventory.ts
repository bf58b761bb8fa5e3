import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A device's full inventory (every DeviceInformation answer by query, SecurityInfo, the certificate list as
 * summaries) and the history of what changed in it. Written by the command service only.
 * `refresh_requested_at` drives the scheduled refresh: the sweep picks devices whose last request is older
 * than the interval (an index on it keeps that a range scan).
 */
export class DeviceInventory1764286000000 implements MigrationInterface {
  name = 'DeviceInventory1764286000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE device_inventories (
        device_id uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
        device_information jsonb,
        device_information_at timestamptz,
        security_info jsonb,
        security_info_at timestamptz,
        certificates jsonb,
        certificates_at timestamptz,
        refresh_requested_at timestamptz,
        refresh_source text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX device_inventories_refresh_requested_at ON device_inventories (refresh_requested_at)`);
    await q.query(`
      CREATE TABLE device_inventory_changes (
        id bigserial PRIMARY KEY,
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        field text NOT NULL,
        old_value jsonb,
        new_value jsonb,
        changed_at timestamptz NOT NULL DEFAULT now(),
        request_type text NOT NULL,
        command_uuid uuid
      )`);
    await q.query(`CREATE INDEX device_inventory_changes_device ON device_inventory_changes (device_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE device_inventory_changes`);
    await q.query(`DROP TABLE device_inventories`);
  }
}
