import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Admin API keys created through the API: the SHA-256 of each secret, its scopes, expiry and revocation. */
export class ApiKeys1764279000000 implements MigrationInterface {
  name = 'ApiKeys1764279000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
        secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
  }
}
