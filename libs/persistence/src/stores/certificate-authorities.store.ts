import { selectOne, type Sql } from '../sql';

/** One of the server's own identities (the device CA, the profile signer), its key sealed. */
export interface CertificateAuthorityRecord {
  name: string;
  certPem: string;
  keySealed: string;
}

/** `certificate_authorities`: one row per identity name. */
export const CertificateAuthorityStore = {
  async byName(sql: Sql, name: string): Promise<CertificateAuthorityRecord | undefined> {
    const row = await selectOne<{ name: string; cert_pem: string; key_sealed: string }>(
      sql,
      `SELECT name, cert_pem, key_sealed FROM certificate_authorities WHERE name = $1 LIMIT 1`,
      [name],
    );
    return row && { name: row.name, certPem: row.cert_pem, keySealed: row.key_sealed };
  },

  /** Two replicas starting together: the first insert wins, the other's is ignored. */
  async insertIfMissing(sql: Sql, ca: CertificateAuthorityRecord): Promise<void> {
    await sql.query(
      `INSERT INTO certificate_authorities (name, cert_pem, key_sealed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [ca.name, ca.certPem, ca.keySealed],
    );
  },

  /** An identity the operator imported replaces the stored one of that name. */
  async replace(sql: Sql, ca: CertificateAuthorityRecord): Promise<void> {
    await sql.query(
      `INSERT INTO certificate_authorities (name, cert_pem, key_sealed) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET cert_pem = EXCLUDED.cert_pem, key_sealed = EXCLUDED.key_sealed`,
      [ca.name, ca.certPem, ca.keySealed],
    );
  },
};
