import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes a push request's row work cheap. A claim sets only the unindexed lease columns (the row stays
 * `pending`, so it still coalesces), which lets it be a HOT update: fillfactor leaves the page room for
 * the new version. A command that coalesces into a claimed request sets `again`, and completion keeps
 * such a row pending instead of deleting it, so it is pushed once more. Dropped: `push_requests_device`
 * and `push_requests_due` (no query reads them), `push_requests_leased` (nothing sets status `sending`),
 * and the foreign key to `devices` (no code deletes devices; `insertPushRequests` selects the device in
 * the same statement).
 */
export class LeanPushRequests1764290000000 implements MigrationInterface {
  name = 'LeanPushRequests1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS push_requests_device`);
    await q.query(`DROP INDEX IF EXISTS push_requests_due`);
    // Requests in flight by the old claim are handed back: the sweep re-enqueues pending ones.
    await q.query(`UPDATE push_requests SET status = 'pending', lease_owner = NULL, lease_until = NULL WHERE status = 'sending'
                     AND NOT EXISTS (SELECT 1 FROM push_requests o WHERE o.device_id = push_requests.device_id AND o.status = 'pending')`);
    await q.query(`UPDATE push_requests SET status = 'failed', outcome = 'failed', outcome_reason = 'superseded', completed_at = now(), lease_until = NULL WHERE status = 'sending'`);
    await q.query(`DROP INDEX IF EXISTS push_requests_leased`);
    await q.query(`ALTER TABLE push_requests DROP CONSTRAINT IF EXISTS push_requests_device_id_fkey`);
    await q.query(`ALTER TABLE push_requests ADD COLUMN again boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE push_requests SET (fillfactor = 30)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE push_requests RESET (fillfactor)`);
    await q.query(`ALTER TABLE push_requests DROP COLUMN again`);
    await q.query(`DELETE FROM push_requests p WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = p.device_id)`);
    await q.query(`ALTER TABLE push_requests ADD CONSTRAINT push_requests_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices(id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX push_requests_leased ON push_requests (lease_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX push_requests_due ON push_requests (not_before) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX push_requests_device ON push_requests (device_id, id DESC)`);
  }
}
