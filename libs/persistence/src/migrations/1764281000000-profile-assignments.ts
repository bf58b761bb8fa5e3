import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Desired state for configuration profiles: groups of devices (listed, or matching a rule on device
 * facts), assignments of profiles to devices and groups, what each device should hold and holds, and the
 * InstallProfile / RemoveProfile / ProfileList commands the profile service still has to hand to the
 * command service (an outbox: planned in the transaction that decided them, submitted after commit).
 */
export class ProfileAssignments1764281000000 implements MigrationInterface {
  name = 'ProfileAssignments1764281000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE device_groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        description text,
        -- NULL: a static group (members listed in device_group_members); else devices matching the rule.
        rule jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE device_group_members (
        group_id uuid NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, device_id)
      )`);
    await q.query(`CREATE INDEX device_group_members_device ON device_group_members (device_id)`);
    await q.query(`
      CREATE TABLE profile_assignments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        device_id uuid REFERENCES devices (id) ON DELETE CASCADE,
        group_id uuid REFERENCES device_groups (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((device_id IS NULL) <> (group_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX profile_assignments_device ON profile_assignments (device_id, profile_id) WHERE device_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX profile_assignments_group ON profile_assignments (group_id, profile_id) WHERE group_id IS NOT NULL`);
    await q.query(`CREATE INDEX profile_assignments_profile ON profile_assignments (profile_id)`);
    await q.query(`
      CREATE TABLE profile_commands (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        action text NOT NULL CHECK (action IN ('install', 'remove', 'list')),
        profile_id uuid,
        version integer,
        identifier text,
        udids text[] NOT NULL,
        -- The exact POST body, stored before the first attempt: a re-send after a crash is byte-identical,
        -- so the command service's idempotency key answers it with the command it already queued.
        request jsonb,
        command_uuid uuid UNIQUE,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz
      )`);
    await q.query(`CREATE INDEX profile_commands_unsubmitted ON profile_commands (created_at) WHERE submitted_at IS NULL`);
    await q.query(`
      CREATE TABLE device_profiles (
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        -- No foreign key: a deleted profile stays here until the device has removed it.
        profile_id uuid NOT NULL,
        identifier text NOT NULL,
        desired boolean NOT NULL DEFAULT false,
        desired_version integer,
        -- From ProfileList answers: the version whose PayloadUUID the device lists, NULL when it lists none.
        installed_version integer,
        status text NOT NULL CHECK (status IN ('pending', 'installed', 'failed', 'blocked', 'removing', 'removed')),
        reason text,
        error_chain jsonb,
        -- Other profiles this one collides with on a payload type a device may hold once.
        conflicts jsonb,
        -- The install or remove in flight, and for which version; a failure is not retried for the same version.
        profile_command_id uuid REFERENCES profile_commands (id) ON DELETE SET NULL,
        action text CHECK (action IN ('install', 'remove')),
        action_version integer,
        failed_version integer,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, profile_id)
      )`);
    await q.query(`CREATE INDEX device_profiles_profile ON device_profiles (profile_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE device_profiles`);
    await q.query(`DROP TABLE profile_commands`);
    await q.query(`DROP TABLE profile_assignments`);
    await q.query(`DROP TABLE device_group_members`);
    await q.query(`DROP TABLE device_groups`);
  }
}
