import { selectOne, type Sql } from '../sql';

/** One of the server's own CAs or signing identities; the key is sealed with MDM_SECRET_KEY. */
export interface StoredCertificateAuthority {
  name: string;
  certPem: string;
  keySealed: string;
}

/** `certificate_authorities`: the enrollment service writes them; others may only read. */
export const CertificateAuthoritiesStore = {
  async byName(db: Sql, name: string): Promise<StoredCertificateAuthority | undefined> {
    const row = await selectOne<{ name: string; cert_pem: string; key_sealed: string }>(
      db,
      `SELECT name, cert_pem, key_sealed FROM certificate_authorities WHERE name = $1`,
      [name],
    );
    return row && { name: row.name, certPem: row.cert_pem, keySealed: row.key_sealed };
  },
};
