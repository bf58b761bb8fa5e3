import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks for integrations: the subscriptions, one delivery row per (event × matching webhook),
 * and every HTTP attempt of a delivery.
 *
 * Postgres is the queue of record. A delivery is claimed by setting a lease (`lease_owner`, `lease_until`)
 * under `FOR UPDATE SKIP LOCKED`, so replicas never send one delivery concurrently and a killed worker's
 * delivery is claimed again once its lease runs out. `position` is the order deliveries were created in
 * (the feed order for fan-out); for one webhook and one device only the open delivery with the lowest
 * position may be sent, which is how events of a device arrive in order even while one is being retried.
 */
export class Webhooks1764280000000 implements MigrationInterface {
  name = 'Webhooks1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        secret_sealed text NOT NULL,
        secret_hint text NOT NULL,
        events text[] NOT NULL,
        format text NOT NULL DEFAULT 'mdm' CHECK (format IN ('mdm', 'nanomdm')),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        position bigserial NOT NULL UNIQUE,
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        event_seq bigint NOT NULL,
        event_type text NOT NULL,
        udid text,
        origin text NOT NULL DEFAULT 'feed' CHECK (origin IN ('feed', 'replay')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        retry_until timestamptz NOT NULL,
        lease_owner text,
        lease_until timestamptz,
        last_attempt_at timestamptz,
        last_http_status integer,
        last_error text,
        delivered_at timestamptz,
        dead_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // What the workers claim: open deliveries by due time.
    await q.query(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, position) WHERE status IN ('pending', 'retrying')`);
    // "Is an earlier delivery of this device still open?", asked once per candidate.
    await q.query(
      `CREATE INDEX webhook_deliveries_device_open ON webhook_deliveries (webhook_id, udid, position) WHERE status IN ('pending', 'retrying') AND udid IS NOT NULL`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at, position)`);
    // The feed hands each event over once; this makes a second fan-out of one event a no-op all the same.
    await q.query(`CREATE UNIQUE INDEX webhook_deliveries_feed_once ON webhook_deliveries (webhook_id, event_id) WHERE origin = 'feed'`);
    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        http_status integer,
        error text,
        outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead'))
      )`);
    await q.query(`CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
  }
}
