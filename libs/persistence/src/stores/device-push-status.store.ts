import { noPushCertificateReason } from '@mdm/contracts';
import { select, type Sql } from '../sql';

/**
 * "Is this device pushable": the rule in SQL (`pushableDeviceSql`, for statements that pick devices to
 * push) and in TypeScript (`unpushableReason`, for the sender and the device view), kept side by side.
 * A token APNs called dead is recorded with the TokenUpdate that brought it (token, enrollment id,
 * token update count), so any later TokenUpdate or a re-enrollment lifts it without a write here.
 */

/** A token APNs called dead (410 Unregistered, 400 BadDeviceToken), with the TokenUpdate it came in. */
export interface DeadTokenMark {
  token: string;
  enrollmentId: string;
  tokenUpdateCount: number;
  /** When APNs learnt the token was dead (its 410 timestamp), or when we were told. */
  at: Date;
  reason: string | null;
}

/** What the push rule reads of a device: its `devices` columns and its recorded dead token. */
export interface DevicePushFacts {
  enrolled: boolean;
  topic: string | null;
  pushToken: string | null;
  pushMagic: string | null;
  enrollmentId: string;
  tokenUpdateCount: number;
  deadToken: DeadTokenMark | null;
}

/** The push service's facts about one device. */
export interface DevicePushStatus {
  lastPushAt: Date | null;
  lastPushOutcome: string | null;
  deadToken: DeadTokenMark | null;
}

/** SQL twin of `isTokenDead`: the recorded dead token is the device's current one (alias `s` for the status row). */
function deadTokenMatchSql(device: string, status: string): string {
  return `${status}.dead_token = ${device}.push_token AND ${status}.dead_enrollment_id = ${device}.enrollment_id
          AND ${status}.dead_token_update = ${device}.token_update_count`;
}

/**
 * SQL twin of `unpushableReason() === null` for the `devices` row aliased `device`: enrolled, with a
 * push token, magic and topic, and that token not called dead. A primary-key probe of device_push_status.
 */
export function pushableDeviceSql(device = 'd'): string {
  return `(${device}.enrolled AND ${device}.push_token IS NOT NULL AND ${device}.push_magic IS NOT NULL AND ${device}.topic IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM device_push_status dead WHERE dead.device_id = ${device}.id AND ${deadTokenMatchSql(device, 'dead')}))`;
}

/** When the device of the `devices` row aliased `device` was last pushed ('-infinity' if never). */
export function lastPushAtSql(device = 'd'): string {
  return `COALESCE((SELECT last.last_push_at FROM device_push_status last WHERE last.device_id = ${device}.id), '-infinity')`;
}

/** Whether the recorded dead token is the one the device has now (a later TokenUpdate lifts it). */
export function isTokenDead(d: DevicePushFacts): boolean {
  const dead = d.deadToken;
  return dead !== null && dead.token === d.pushToken && dead.enrollmentId === d.enrollmentId && dead.tokenUpdateCount === d.tokenUpdateCount;
}

/** Why the device cannot be pushed at all (the first reason that holds), or null when it can. */
export function unpushableReason(d: DevicePushFacts): string | null {
  if (!d.enrolled) return 'device is not enrolled';
  if (!d.pushToken || !d.pushMagic || !d.topic) return 'device has no push token';
  if (isTokenDead(d)) return `push token is dead (${d.deadToken?.reason ?? 'APNs refused it'}) until the device sends a new TokenUpdate`;
  return null;
}

/** Whether the server can wake the device now and if not why: the device's reasons, then its topic's certificate. */
export function devicePushStatus(d: DevicePushFacts & { topicHasCertificate: boolean }): { pushable: boolean; statusReason: string | null } {
  const reason = unpushableReason(d) ?? (d.topicHasCertificate ? null : noPushCertificateReason(d.topic ?? ''));
  return { pushable: reason === null, statusReason: reason };
}

/** The dead-token columns of a device_push_status row, as the claim and the view read them. */
export interface DeadTokenColumns {
  dead_token: string | null;
  dead_enrollment_id: string | null;
  dead_token_update: number | null;
  token_invalid_at: Date | null;
  token_invalid_reason: string | null;
}

function deadTokenOf(r: DeadTokenColumns): DeadTokenMark | null {
  if (r.dead_token === null || r.dead_enrollment_id === null || r.dead_token_update === null) return null;
  return { token: r.dead_token, enrollmentId: r.dead_enrollment_id, tokenUpdateCount: r.dead_token_update, at: r.token_invalid_at ?? new Date(0), reason: r.token_invalid_reason };
}

/** The columns the push rule reads: `devices` ones and the status row's dead-token ones (null when none). */
export interface DevicePushFactColumns extends DeadTokenColumns {
  enrolled: boolean;
  topic: string | null;
  push_token: string | null;
  push_magic: string | null;
  enrollment_id: string;
  token_update_count: number;
}

/** Selects `DevicePushFactColumns` from `devices` aliased `d` and `device_push_status` aliased `s`. */
export const DEVICE_PUSH_FACT_COLUMNS = `d.enrolled, d.topic, d.push_token, d.push_magic, d.enrollment_id, d.token_update_count,
  s.dead_token, s.dead_enrollment_id, s.dead_token_update, s.token_invalid_at, s.token_invalid_reason`;

export function pushFactsOf(r: DevicePushFactColumns): DevicePushFacts {
  return {
    enrolled: r.enrolled,
    topic: r.topic,
    pushToken: r.push_token,
    pushMagic: r.push_magic,
    enrollmentId: r.enrollment_id,
    tokenUpdateCount: r.token_update_count,
    deadToken: deadTokenOf(r),
  };
}

/** One push that APNs answered (or that failed before it), for the device's last-push columns. */
export interface AttemptedPush {
  deviceId: string;
  outcome: string;
}

/** A token APNs called dead, to record against the device. */
export interface DeadTokenReport extends DeadTokenMark {
  deviceId: string;
}

/** The last of each device's entries: one upsert statement may not touch a row twice. */
function lastPerDevice<T extends { deviceId: string }>(entries: readonly T[]): T[] {
  const byDevice = new Map<string, T>();
  for (const e of entries) byDevice.set(e.deviceId, e);
  return [...byDevice.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
}

/**
 * device_push_status: what the push service learnt about each device. The push service is its only
 * writer; the enrollment service reads it for the device view.
 */
export const DevicePushStatusStore = {
  /** Records the last push of each device (one statement for the group, in device order). */
  async recordAttempts(tx: Sql, pushes: readonly AttemptedPush[], at: Date): Promise<void> {
    const last = lastPerDevice(pushes);
    if (!last.length) return;
    await tx.query(
      `INSERT INTO device_push_status (device_id, last_push_at, last_push_outcome)
       SELECT x.id, $3, x.outcome FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS x(id, outcome, n) ORDER BY x.n
       ON CONFLICT (device_id) DO UPDATE SET last_push_at = EXCLUDED.last_push_at, last_push_outcome = EXCLUDED.last_push_outcome`,
      [last.map((p) => p.deviceId), last.map((p) => p.outcome), at],
    );
  },

  /** Records the tokens APNs called dead, each with the TokenUpdate it came in. */
  async recordDeadTokens(tx: Sql, reports: readonly DeadTokenReport[]): Promise<void> {
    const last = lastPerDevice(reports);
    if (!last.length) return;
    await tx.query(
      `INSERT INTO device_push_status (device_id, dead_token, dead_enrollment_id, dead_token_update, token_invalid_at, token_invalid_reason)
       SELECT x.id, x.token, x.enrollment_id, x.token_update, x.at, x.reason
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::timestamptz[], $6::text[]) WITH ORDINALITY
              AS x(id, token, enrollment_id, token_update, at, reason, n)
        ORDER BY x.n
       ON CONFLICT (device_id) DO UPDATE SET dead_token = EXCLUDED.dead_token, dead_enrollment_id = EXCLUDED.dead_enrollment_id,
              dead_token_update = EXCLUDED.dead_token_update, token_invalid_at = EXCLUDED.token_invalid_at,
              token_invalid_reason = EXCLUDED.token_invalid_reason`,
      [
        last.map((r) => r.deviceId),
        last.map((r) => r.token),
        last.map((r) => r.enrollmentId),
        last.map((r) => r.tokenUpdateCount),
        last.map((r) => r.at),
        last.map((r) => r.reason),
      ],
    );
  },

  /** The push status of these devices; a device never pushed has none. */
  async ofDevices(db: Sql, deviceIds: readonly string[]): Promise<Map<string, DevicePushStatus>> {
    if (!deviceIds.length) return new Map();
    const rows = await select<DeadTokenColumns & { device_id: string; last_push_at: Date | null; last_push_outcome: string | null }>(
      db,
      `SELECT device_id, last_push_at, last_push_outcome, dead_token, dead_enrollment_id, dead_token_update, token_invalid_at, token_invalid_reason
         FROM device_push_status WHERE device_id = ANY($1::uuid[])`,
      [deviceIds],
    );
    return new Map(rows.map((r) => [r.device_id, { lastPushAt: r.last_push_at, lastPushOutcome: r.last_push_outcome, deadToken: deadTokenOf(r) }]));
  },

  /** The devices of these UDIDs that exist, with what the push rule needs (POST /v1/push). */
  async pushFactsByUdid(db: Sql, udids: readonly string[]): Promise<Array<DevicePushFacts & { id: string; udid: string }>> {
    const rows = await select<DevicePushFactColumns & { id: string; udid: string }>(
      db,
      `SELECT d.id, d.udid, ${DEVICE_PUSH_FACT_COLUMNS}
         FROM devices d LEFT JOIN device_push_status s ON s.device_id = d.id
        WHERE d.udid = ANY($1::text[])`,
      [udids],
    );
    return rows.map((r) => ({ id: r.id, udid: r.udid, ...pushFactsOf(r) }));
  },
};
