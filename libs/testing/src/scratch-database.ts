import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database of its own for a Postgres-only spec, on DATABASE_URL's server. */
export interface ScratchDatabase {
  url: string;
  /** Drops it, closing whatever connections are still open. */
  drop(): Promise<void>;
}

/** Creates an empty database named after DATABASE_URL's, the label and a random suffix. */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const base = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/mdm_test');
  const name = `${base.pathname.slice(1) || 'mdm_test'}_${label}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const url = new URL(base);
    url.pathname = '/postgres';
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
