import { selectOne, type Sql } from '../sql';

/** A device identity the server's CA issued through SCEP. */
export interface DeviceCertificateRecord {
  fingerprint: string;
  serialNumber: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Fingerprint of the certificate this one renewed. */
  renewalOf: string | null;
  revokedAt: Date | null;
  revocationReason: string | null;
  issuedAt: Date;
}

interface DeviceCertificateRow {
  fingerprint: string;
  serial_number: string;
  subject: string;
  not_before: Date;
  not_after: Date;
  renewal_of: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  issued_at: Date;
}

function fromRow(r: DeviceCertificateRow): DeviceCertificateRecord {
  return {
    fingerprint: r.fingerprint,
    serialNumber: r.serial_number,
    subject: r.subject,
    notBefore: r.not_before,
    notAfter: r.not_after,
    renewalOf: r.renewal_of,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    issuedAt: r.issued_at,
  };
}

/** `device_certificates`: every identity issued, kept (revoked rather than deleted) so renewals can be judged. */
export const DeviceCertificateStore = {
  async byFingerprint(sql: Sql, fingerprint: string): Promise<DeviceCertificateRecord | undefined> {
    const row = await selectOne<DeviceCertificateRow>(sql, `SELECT * FROM device_certificates WHERE fingerprint = $1 LIMIT 1`, [fingerprint]);
    return row && fromRow(row);
  },

  async insert(tx: Sql, c: Omit<DeviceCertificateRecord, 'revokedAt' | 'revocationReason'>): Promise<void> {
    await tx.query(
      `INSERT INTO device_certificates (fingerprint, serial_number, subject, not_before, not_after, renewal_of, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.fingerprint, c.serialNumber, c.subject, c.notBefore, c.notAfter, c.renewalOf, c.issuedAt],
    );
  },

  /** A certificate of a finished enrollment can't be renewed into a new one; the first reason stays. */
  async revoke(tx: Sql, fingerprint: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE device_certificates SET revoked_at = now(), revocation_reason = $2 WHERE fingerprint = $1 AND revoked_at IS NULL`,
      [fingerprint, reason],
    );
  },
};
