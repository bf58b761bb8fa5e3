import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys of admin POSTs that enqueue work: a retried request gets the first answer. */
export class IdempotencyKeys1764277000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764277000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        -- null while the first request is still being served
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
