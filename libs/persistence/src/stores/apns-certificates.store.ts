import { select, selectOne, type Sql } from '../sql';

/** What a stored push certificate holds besides its topic; the key sealed before it gets here. */
export interface PushCertificateContent {
  certPem: string;
  keySealed: string;
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

export interface ApnsCertificateRecord extends PushCertificateContent {
  id: string;
  topic: string;
  /** The tightest expiry warning (days) already sent; null after an upload. */
  expiryWarnedThreshold: number | null;
  expiredNotifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface ApnsCertificateRow {
  id: string;
  topic: string;
  cert_pem: string;
  key_sealed: string;
  fingerprint: string;
  not_before: Date;
  not_after: Date;
  expiry_warned_threshold: number | null;
  expired_notified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function fromRow(r: ApnsCertificateRow): ApnsCertificateRecord {
  return {
    id: r.id,
    topic: r.topic,
    certPem: r.cert_pem,
    keySealed: r.key_sealed,
    fingerprint: r.fingerprint,
    notBefore: r.not_before,
    notAfter: r.not_after,
    expiryWarnedThreshold: r.expiry_warned_threshold,
    expiredNotifiedAt: r.expired_notified_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * `apns_certificates` (one per topic) and `apns_pending_keys` (keys made on the server, waiting for their
 * signed certificate). The enrollment service writes both.
 */
export const ApnsCertificateStore = {
  async list(sql: Sql): Promise<ApnsCertificateRecord[]> {
    return (await select<ApnsCertificateRow>(sql, `SELECT * FROM apns_certificates ORDER BY created_at ASC`)).map(fromRow);
  },

  /** Every stored certificate, locked: the topic rules of an upload look at all of them. */
  async lockAll(tx: Sql): Promise<ApnsCertificateRecord[]> {
    return (await select<ApnsCertificateRow>(tx, `SELECT * FROM apns_certificates FOR UPDATE`)).map(fromRow);
  },

  async lockById(tx: Sql, id: string): Promise<ApnsCertificateRecord | undefined> {
    const row = await selectOne<ApnsCertificateRow>(tx, `SELECT * FROM apns_certificates WHERE id = $1 LIMIT 1 FOR UPDATE`, [id]);
    return row && fromRow(row);
  },

  async ids(sql: Sql): Promise<string[]> {
    return (await select<{ id: string }>(sql, `SELECT id FROM apns_certificates`)).map((r) => r.id);
  },

  async hasTopic(sql: Sql, topic: string): Promise<boolean> {
    const row = await selectOne<{ found: boolean }>(sql, `SELECT EXISTS (SELECT 1 FROM apns_certificates WHERE topic = $1) AS found`, [topic]);
    return row?.found ?? false;
  },

  /** The topic of the certificate uploaded or renewed last. */
  async newestTopic(sql: Sql): Promise<string | undefined> {
    return (await selectOne<{ topic: string }>(sql, `SELECT topic FROM apns_certificates ORDER BY updated_at DESC LIMIT 1`))?.topic;
  },

  /** A new certificate starts its own expiry-warning sequence. */
  async insert(tx: Sql, topic: string, c: PushCertificateContent): Promise<void> {
    await tx.query(
      `INSERT INTO apns_certificates (topic, cert_pem, key_sealed, fingerprint, not_before, not_after, expiry_warned_threshold, expired_notified_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)`,
      [topic, c.certPem, c.keySealed, c.fingerprint, c.notBefore, c.notAfter],
    );
  },

  /** A renewal: the topic's row gets the new certificate and starts its expiry warnings again. */
  async renew(tx: Sql, id: string, c: PushCertificateContent): Promise<void> {
    await tx.query(
      `UPDATE apns_certificates SET cert_pem = $2, key_sealed = $3, fingerprint = $4, not_before = $5, not_after = $6,
              expiry_warned_threshold = NULL, expired_notified_at = NULL, updated_at = now()
        WHERE id = $1`,
      [id, c.certPem, c.keySealed, c.fingerprint, c.notBefore, c.notAfter],
    );
  },

  async delete(tx: Sql, id: string): Promise<void> {
    await tx.query(`DELETE FROM apns_certificates WHERE id = $1`, [id]);
  },

  async markExpiredNotified(tx: Sql, id: string, at: Date): Promise<void> {
    await tx.query(`UPDATE apns_certificates SET expired_notified_at = $2, updated_at = now() WHERE id = $1`, [id, at]);
  },

  async markExpiryWarned(tx: Sql, id: string, thresholdDays: number): Promise<void> {
    await tx.query(`UPDATE apns_certificates SET expiry_warned_threshold = $2, updated_at = now() WHERE id = $1`, [id, thresholdDays]);
  },

  /** A key made for a CSR; returns when it was stored. */
  async insertPendingKey(sql: Sql, key: { publicKeySha256: string; keySealed: string; csrPem: string }): Promise<Date> {
    const row = await selectOne<{ created_at: Date }>(
      sql,
      `INSERT INTO apns_pending_keys (public_key_sha256, key_sealed, csr_pem) VALUES ($1, $2, $3) RETURNING created_at`,
      [key.publicKeySha256, key.keySealed, key.csrPem],
    );
    return row!.created_at;
  },

  /** The pending key whose public key has this SHA-256 (lowercase hex of the SPKI DER). */
  async pendingKeyBySpki(sql: Sql, publicKeySha256: string): Promise<{ id: string; keySealed: string } | undefined> {
    const row = await selectOne<{ id: string; key_sealed: string }>(
      sql,
      `SELECT id, key_sealed FROM apns_pending_keys WHERE public_key_sha256 = $1 LIMIT 1`,
      [publicKeySha256],
    );
    return row && { id: row.id, keySealed: row.key_sealed };
  },

  async deletePendingKey(tx: Sql, id: string): Promise<void> {
    await tx.query(`DELETE FROM apns_pending_keys WHERE id = $1`, [id]);
  },
};
