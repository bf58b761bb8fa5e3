import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Named enrollment configurations: which topic, which access rights a downloaded profile carries. */
export class EnrollmentConfigurations1764275000000 implements MigrationInterface {
  name = 'EnrollmentConfigurations1764275000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrollment_configurations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        topic text,
        access_rights integer NOT NULL,
        display_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE enrollment_configurations`);
  }
}
