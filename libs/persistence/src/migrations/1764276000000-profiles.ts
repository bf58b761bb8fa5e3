import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Configuration profiles as operators define them (payload settings in the admin API's JSON), and
 * every version a profile went through, so what a device was sent can be rebuilt byte for byte.
 */
export class Profiles1764276000000 implements MigrationInterface {
  name = 'Profiles1764276000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE profiles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        identifier text NOT NULL UNIQUE,
        removal_disallowed boolean NOT NULL DEFAULT false,
        description text,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        payloads jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE profile_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        version integer NOT NULL,
        name text NOT NULL,
        removal_disallowed boolean NOT NULL,
        description text,
        payloads jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (profile_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE profile_versions`);
    await q.query(`DROP TABLE profiles`);
  }
}
