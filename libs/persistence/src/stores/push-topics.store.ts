import { select, type Sql } from '../sql';

/** A stored push certificate as a push worker loads it into an APNs client. */
export interface PushTopicCertificate {
  topic: string;
  certPem: string;
  /** The private key, sealed with the server's secret key (SecretBox). */
  keySealed: string;
  fingerprint: string;
  notAfter: Date;
}

/** A topic whose certificate APNs refused (403): no pushes with that certificate, on any replica. */
export interface PushTopicStop {
  topic: string;
  fingerprint: string;
  reason: string;
}

/**
 * What the push workers read of the stored push certificates (written by the gateway) and the topic
 * stops they share (push_topic_stops, written by the push service only).
 */
export const PushTopicsStore = {
  async certificates(db: Sql): Promise<PushTopicCertificate[]> {
    const rows = await select<{ topic: string; cert_pem: string; key_sealed: string; fingerprint: string; not_after: Date }>(
      db,
      'SELECT topic, cert_pem, key_sealed, fingerprint, not_after FROM apns_certificates',
    );
    return rows.map((r) => ({ topic: r.topic, certPem: r.cert_pem, keySealed: r.key_sealed, fingerprint: r.fingerprint, notAfter: r.not_after }));
  },

  /** Topics with a stored push certificate, in name order. */
  async topics(db: Sql): Promise<string[]> {
    return (await select<{ topic: string }>(db, 'SELECT topic FROM apns_certificates ORDER BY topic')).map((r) => r.topic);
  },

  async stops(db: Sql): Promise<PushTopicStop[]> {
    return select<PushTopicStop>(db, 'SELECT topic, fingerprint, reason FROM push_topic_stops');
  },

  /** Stops the topic for this certificate; false when it was already stopped for it (another replica did it). */
  async stop(db: Sql, stop: PushTopicStop): Promise<boolean> {
    const rows = await select<{ topic: string }>(
      db,
      `INSERT INTO push_topic_stops (topic, fingerprint, reason) VALUES ($1, $2, $3)
       ON CONFLICT (topic) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, reason = EXCLUDED.reason, stopped_at = now()
        WHERE push_topic_stops.fingerprint <> EXCLUDED.fingerprint
       RETURNING topic`,
      [stop.topic, stop.fingerprint, stop.reason],
    );
    return rows.length > 0;
  },

  /** Lifts a stop made for an older certificate of the topic. */
  async lift(db: Sql, topic: string, fingerprint: string): Promise<void> {
    await db.query('DELETE FROM push_topic_stops WHERE topic = $1 AND fingerprint = $2', [topic, fingerprint]);
  },
};
