import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the push service learns about a device (its last push, a token APNs called dead) in a table of
 * its own, so `devices` has one writer (enrollment). A dead token is recorded with the TokenUpdate that
 * brought it (enrollment id and token update count): any later TokenUpdate or re-enrollment makes the
 * device pushable again without anyone clearing the mark.
 */
export class DevicePushStatus1764288000000 implements MigrationInterface {
  name = 'DevicePushStatus1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE device_push_status (
        device_id uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
        last_push_at timestamptz,
        last_push_outcome text,
        dead_token text,
        dead_enrollment_id uuid,
        dead_token_update integer,
        token_invalid_at timestamptz,
        token_invalid_reason text
      )`);
    await q.query(`
      INSERT INTO device_push_status (device_id, last_push_at, last_push_outcome, dead_token, dead_enrollment_id, dead_token_update,
                                      token_invalid_at, token_invalid_reason)
      SELECT id, last_push_at, last_push_outcome,
             CASE WHEN token_invalid_at IS NOT NULL THEN push_token END,
             CASE WHEN token_invalid_at IS NOT NULL THEN enrollment_id END,
             CASE WHEN token_invalid_at IS NOT NULL THEN token_update_count END,
             token_invalid_at, token_invalid_reason
        FROM devices
       WHERE last_push_at IS NOT NULL OR last_push_outcome IS NOT NULL OR token_invalid_at IS NOT NULL`);
    await q.query(`
      ALTER TABLE devices DROP COLUMN last_push_at, DROP COLUMN last_push_outcome,
                          DROP COLUMN token_invalid_at, DROP COLUMN token_invalid_reason`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE devices ADD COLUMN token_invalid_at timestamptz, ADD COLUMN token_invalid_reason text,
                          ADD COLUMN last_push_at timestamptz, ADD COLUMN last_push_outcome text`);
    await q.query(`
      UPDATE devices d
         SET last_push_at = s.last_push_at, last_push_outcome = s.last_push_outcome,
             token_invalid_at = CASE WHEN s.dead_token = d.push_token AND s.dead_enrollment_id = d.enrollment_id
                                      AND s.dead_token_update = d.token_update_count THEN s.token_invalid_at END,
             token_invalid_reason = CASE WHEN s.dead_token = d.push_token AND s.dead_enrollment_id = d.enrollment_id
                                          AND s.dead_token_update = d.token_update_count THEN s.token_invalid_reason END
        FROM device_push_status s
       WHERE s.device_id = d.id`);
    await q.query(`DROP TABLE device_push_status`);
  }
}
