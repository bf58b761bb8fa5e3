import { selectOne, type Sql } from '../sql';
import { DEVICE_COLUMNS, type DeviceDescription, type DeviceRecord, type DeviceRow, deviceFromRow } from './device-record';
import { listDevices } from './device-list';

export type { DeviceListFilter } from './device-list';
export type { DeviceDescription, DeviceRecord } from './device-record';

/** The facts an Authenticate message (and the certificate it came with) sets on the device. */
export interface AuthenticateFacts extends DeviceDescription {
  enrollmentId: string;
  topic: string;
  certFingerprint: string;
  certNotAfter: Date | null;
  at: Date;
}

export interface TokenUpdateFacts {
  pushToken: string;
  pushMagic: string;
  unlockToken: string | null;
  tokenUpdateCount: number;
  enrolledAt: Date;
  at: Date;
}

async function one(sql: Sql, where: string, params: readonly unknown[], lock = ''): Promise<DeviceRecord | undefined> {
  const row = await selectOne<DeviceRow>(sql, `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE ${where} LIMIT 1 ${lock}`, params);
  return row && deviceFromRow(row);
}

/** Authenticate starts an enrollment afresh: no tokens, no count, not enrolled until the first TokenUpdate. */
const AUTHENTICATE_VALUES = `$2, false, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, NULL, NULL, 0, $13, NULL, NULL, $13`;
const AUTHENTICATE_COLUMNS = `enrollment_id, enrolled, topic, serial_number, product_name, model, model_name, device_name, os_version,
  build_version, cert_fingerprint, cert_not_after, push_token, push_magic, unlock_token, bootstrap_token, bootstrap_token_at,
  token_update_count, authenticated_at, enrolled_at, checked_out_at, last_seen_at`;

function authenticateParams(key: string, f: AuthenticateFacts): unknown[] {
  return [key, f.enrollmentId, f.topic, f.serialNumber, f.productName, f.model, f.modelName, f.deviceName, f.osVersion, f.buildVersion, f.certFingerprint, f.certNotAfter, f.at];
}

/**
 * The `devices` table; the enrollment service owns it. Check-in writes run in the caller's transaction
 * after `lockByUdid`, so two messages of one device take turns.
 */
export const DeviceStore = {
  /** A filtered, sorted page of devices (whitelisted sort expressions, every value a parameter). */
  list: listDevices,

  async byUdid(sql: Sql, udid: string): Promise<DeviceRecord | undefined> {
    return one(sql, 'd.udid = $1', [udid]);
  },

  /** The device row, locked for the rest of the transaction (`FOR UPDATE`). */
  async lockByUdid(tx: Sql, udid: string): Promise<DeviceRecord | undefined> {
    return one(tx, 'd.udid = $1', [udid], 'FOR UPDATE');
  },

  /** The device bound to this identity certificate, locked. */
  async lockByCertFingerprint(tx: Sql, fingerprint: string): Promise<DeviceRecord | undefined> {
    return one(tx, 'd.cert_fingerprint = $1', [fingerprint], 'FOR UPDATE');
  },

  /** A first Authenticate of this UDID. */
  async insertAuthenticated(tx: Sql, udid: string, facts: AuthenticateFacts): Promise<void> {
    await tx.query(
      `INSERT INTO devices (udid, ${AUTHENTICATE_COLUMNS}) VALUES ($1, ${AUTHENTICATE_VALUES})`,
      authenticateParams(udid, facts),
    );
  },

  /** A re-Authenticate: the row is reused, everything an earlier enrollment left is cleared. */
  async reauthenticate(tx: Sql, id: string, facts: AuthenticateFacts): Promise<void> {
    await tx.query(
      `UPDATE devices SET (${AUTHENTICATE_COLUMNS}, updated_at) = (${AUTHENTICATE_VALUES}, now()) WHERE id = $1`,
      authenticateParams(id, facts),
    );
  },

  async saveTokenUpdate(tx: Sql, id: string, f: TokenUpdateFacts): Promise<void> {
    await tx.query(
      `UPDATE devices SET push_token = $2, push_magic = $3, unlock_token = $4, token_update_count = $5, enrolled = true,
              enrolled_at = $6, last_seen_at = $7, updated_at = now()
        WHERE id = $1`,
      [id, f.pushToken, f.pushMagic, f.unlockToken, f.tokenUpdateCount, f.enrolledAt, f.at],
    );
  },

  async checkOut(tx: Sql, id: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE devices SET enrolled = false, checked_out_at = $2, last_seen_at = $2, push_token = NULL, push_magic = NULL,
              unlock_token = NULL, bootstrap_token = NULL, updated_at = now()
        WHERE id = $1`,
      [id, at],
    );
  },

  /** `sealed` null forgets the token (the device sent an empty one). */
  async saveBootstrapToken(tx: Sql, id: string, sealed: string | null, at: Date): Promise<void> {
    await tx.query(
      `UPDATE devices SET bootstrap_token = $2, bootstrap_token_at = $3, last_seen_at = $3, updated_at = now() WHERE id = $1`,
      [id, sealed, at],
    );
  },

  /** A SCEP renewal: the new identity replaces the old one on the enrollment. */
  async rebindCertificate(tx: Sql, id: string, fingerprint: string, notAfter: Date): Promise<void> {
    await tx.query(
      `UPDATE devices SET cert_fingerprint = $2, cert_not_after = $3, updated_at = now() WHERE id = $1`,
      [id, fingerprint, notAfter],
    );
  },
};
