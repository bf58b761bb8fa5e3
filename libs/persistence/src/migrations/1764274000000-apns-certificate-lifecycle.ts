import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Expiry warnings sent per push certificate, and keys made on the server for the CSR flow. */
export class ApnsCertificateLifecycle1764274000000 implements MigrationInterface {
  name = 'ApnsCertificateLifecycle1764274000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE apns_certificates ADD COLUMN expiry_warned_threshold integer`);
    await q.query(`ALTER TABLE apns_certificates ADD COLUMN expired_notified_at timestamptz`);
    await q.query(`
      CREATE TABLE apns_pending_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        public_key_sha256 text NOT NULL UNIQUE,
        key_sealed text NOT NULL,
        csr_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE apns_pending_keys`);
    await q.query(`ALTER TABLE apns_certificates DROP COLUMN expired_notified_at`);
    await q.query(`ALTER TABLE apns_certificates DROP COLUMN expiry_warned_threshold`);
  }
}
