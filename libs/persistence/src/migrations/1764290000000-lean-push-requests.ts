import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * push_requests keeps only the indexes the push path reads: every index is written again by each insert and
 * by each claim (which changes `status`, so it is never a HOT update). `push_requests_device` served no
 * query (a sent request's row is deleted now, so a device's rows are few; the cascade from `devices` scans
 * them); `push_requests_due` served only the sweep, which finds pending rows through
 * `push_requests_one_pending` (same predicate).
 */
export class LeanPushRequests1764290000000 implements MigrationInterface {
  name = 'LeanPushRequests1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS push_requests_device`);
    await q.query(`DROP INDEX IF EXISTS push_requests_due`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX push_requests_due ON push_requests (not_before) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX push_requests_device ON push_requests (device_id, id DESC)`);
  }
}
