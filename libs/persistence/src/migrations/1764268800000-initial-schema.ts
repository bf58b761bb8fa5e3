import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764268800000 implements MigrationInterface {
  name = 'InitialSchema1764268800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE devices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        udid text NOT NULL UNIQUE,
        enrollment_id uuid NOT NULL,
        enrolled boolean NOT NULL DEFAULT false,
        topic text,
        serial_number text,
        product_name text,
        model text,
        model_name text,
        device_name text,
        os_version text,
        build_version text,
        is_supervised boolean,
        device_information jsonb,
        cert_fingerprint text,
        cert_not_after timestamptz,
        push_token text,
        push_magic text,
        unlock_token text,
        token_update_count integer NOT NULL DEFAULT 0,
        token_invalid_at timestamptz,
        token_invalid_reason text,
        last_push_at timestamptz,
        last_push_outcome text,
        authenticated_at timestamptz,
        enrolled_at timestamptz,
        checked_out_at timestamptz,
        last_seen_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX devices_serial_number ON devices (serial_number)`);

    await q.query(`
      CREATE TABLE apns_certificates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        topic text NOT NULL UNIQUE,
        cert_pem text NOT NULL,
        key_sealed text NOT NULL,
        fingerprint text NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE certificate_authorities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        cert_pem text NOT NULL,
        key_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE commands (
        command_uuid uuid PRIMARY KEY,
        request_type text NOT NULL,
        payload jsonb NOT NULL,
        command_plist text NOT NULL,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE command_deliveries (
        id bigserial PRIMARY KEY,
        command_uuid uuid NOT NULL REFERENCES commands (command_uuid) ON DELETE CASCADE,
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        status text NOT NULL,
        status_reason text,
        not_now_count integer NOT NULL DEFAULT 0,
        error_chain jsonb,
        result jsonb,
        queued_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        delivered_at timestamptz,
        completed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (command_uuid, device_id)
      )`);
    // The per-device queue: a connect reads the oldest pending row through this index only.
    await q.query(`
      CREATE INDEX command_deliveries_pending ON command_deliveries (device_id, id)
      WHERE status IN ('QUEUED', 'SENT', 'PUSH', 'NOTNOW')`);
    await q.query(`CREATE INDEX command_deliveries_history ON command_deliveries (device_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE command_deliveries`);
    await q.query(`DROP TABLE commands`);
    await q.query(`DROP TABLE certificate_authorities`);
    await q.query(`DROP TABLE apns_certificates`);
    await q.query(`DROP TABLE devices`);
  }
}
