import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Events1764270000000 implements MigrationInterface {
  name = 'Events1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        udid text,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX events_udid ON events (udid, id)`);
    await q.query(`CREATE INDEX events_type ON events (type, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE events`);
  }
}
