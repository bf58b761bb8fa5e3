import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A device's DeviceInformation answers live in `device_inventories` (the command service's table) only:
 * `devices` belongs to the enrollment service, which keeps the facts it needs in their own columns.
 */
export class DeviceInformationInInventory1764287000000 implements MigrationInterface {
  name = 'DeviceInformationInInventory1764287000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices DROP COLUMN device_information`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices ADD COLUMN device_information jsonb`);
    await q.query(`UPDATE devices d SET device_information = i.device_information FROM device_inventories i WHERE i.device_id = d.id`);
  }
}
