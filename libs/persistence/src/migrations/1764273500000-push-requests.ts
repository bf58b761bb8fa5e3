import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PushRequests1764273500000 implements MigrationInterface {
  name = 'PushRequests1764273500000';

  async up(q: QueryRunner): Promise<void> {
    // Postgres is the truth for push work: a row per push request, claimed under a lease, marked with
    // its outcome. BullMQ jobs only carry row ids, so a crashed worker or a lost job loses nothing.
    await q.query(`
      CREATE TABLE push_requests (
        id bigserial PRIMARY KEY,
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempt integer NOT NULL DEFAULT 1,
        not_before timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_until timestamptz,
        outcome text,
        outcome_reason text,
        apns_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    // Coalescing: however many requests arrive for a device before its push goes out, one pending row
    // (INSERT ... ON CONFLICT DO NOTHING). A row being sent does not block a new one.
    await q.query(`CREATE UNIQUE INDEX push_requests_one_pending ON push_requests (device_id) WHERE status = 'pending'`);
    // The sweep's two questions: pending work nobody took, and leases that ran out (a worker died).
    await q.query(`CREATE INDEX push_requests_due ON push_requests (not_before) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX push_requests_leased ON push_requests (lease_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX push_requests_device ON push_requests (device_id, id DESC)`);

    // A 403 from APNs stops a topic on every replica until a different certificate is stored.
    await q.query(`
      CREATE TABLE push_topic_stops (
        topic text PRIMARY KEY,
        fingerprint text NOT NULL,
        reason text NOT NULL,
        stopped_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The expiry sweep finds commands past their expiry without scanning every command.
    await q.query(`CREATE INDEX commands_expires_at ON commands (expires_at) WHERE expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX commands_expires_at`);
    await q.query(`DROP TABLE push_topic_stops`);
    await q.query(`DROP TABLE push_requests`);
  }
}
