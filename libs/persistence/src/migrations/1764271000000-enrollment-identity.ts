import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SCEP challenges, the device certificates the server issued, bootstrap tokens. */
export class EnrollmentIdentity1764271000000 implements MigrationInterface {
  name = 'EnrollmentIdentity1764271000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrollment_challenges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- Only the SHA-256 of a challenge is kept: the database never holds a usable one.
        challenge_hash text NOT NULL UNIQUE,
        topic text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX enrollment_challenges_expires ON enrollment_challenges (expires_at)`);
    await q.query(`
      CREATE TABLE device_certificates (
        fingerprint text PRIMARY KEY,
        serial_number text NOT NULL,
        subject text NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        -- The certificate this one renewed (RenewalReq), if any.
        renewal_of text REFERENCES device_certificates (fingerprint),
        revoked_at timestamptz,
        revocation_reason text,
        issued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE devices ADD COLUMN bootstrap_token text, ADD COLUMN bootstrap_token_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices DROP COLUMN bootstrap_token, DROP COLUMN bootstrap_token_at`);
    await q.query(`DROP TABLE device_certificates`);
    await q.query(`DROP TABLE enrollment_challenges`);
  }
}
