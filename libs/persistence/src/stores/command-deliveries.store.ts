import { CommandStatus, OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import type { JsonObject } from '../json';
import { executePrepared, selectPrepared } from '../prepared';
import { rowCountOf, rowsOf, selectOne, type Sql } from '../sql';

/**
 * The open statuses written out: a statement that must use the partial index `command_deliveries_pending`
 * names them literally, since the planner can only match its predicate against constants.
 */
export const OPEN_STATUS_LIST = `('QUEUED', 'SENT', 'PUSH', 'NOTNOW')`;

/**
 * A delivery (alias `d`) belongs to the device's current enrollment when it was queued at or after the
 * device's latest Authenticate (`$since`): an older one waits for the command service to cancel it and is
 * never served meanwhile. `since` is null for a device never authenticated (seeded rows): all count.
 */
export function servableSince(param: string): string {
  return `d.queued_at >= COALESCE(${param}::timestamptz, '-infinity')`;
}

export const EXPIRED_BEFORE_DELIVERY = 'expired before delivery';

/** Devices named by one `command.queued.v2` event at most. */
export const QUEUED_EVENT_DEVICES = 1000;

/** What a queueing statement writes into its events besides the devices. */
export interface QueuedCommandRef {
  commandUuid: string;
  requestType: string;
  correlationId: string | null;
}

/** A delivery locked for recording the device's answer to it. */
export interface LockedDelivery {
  id: string;
  status: CommandStatus;
  notNowCount: number;
  queuedAt: Date;
  /** The command's correlation id (the X-Request-Id of the call that queued it), for the answer's log line. */
  correlationId: string | null;
}

/** The next command to hand to a device. */
export interface NextCommand {
  id: string;
  commandUuid: string;
  commandPlist: string;
  correlationId: string | null;
  /** Its command is past its expiresAt: it must be expired (`expireOpenOf`), not handed out. */
  expired: boolean;
}

/**
 * The per-device command queues (`command_deliveries`), written by the command service only: what the
 * connect channel takes and records, what the API queues and cancels, what expires.
 */
export const CommandDeliveriesStore = {
  /**
   * One QUEUED row per device, in the order given, and in the same statement their `command.queued.v2` events:
   * one per chunk of `QUEUED_EVENT_DEVICES` devices, naming them (docs/events.md); one naming a single device
   * has its UDID in the `udid` column, so it is in that device's event list. One array parameter per
   * column, so the statement is the same whatever the number of devices.
   */
  async queue(tx: Sql, command: QueuedCommandRef, devices: { ids: readonly string[]; udids: readonly string[] }, at: Date): Promise<void> {
    if (!devices.ids.length) return;
    await tx.query(
      `WITH queued AS (
         INSERT INTO command_deliveries (command_uuid, device_id, status, queued_at, updated_at)
         SELECT $1, unnest($2::uuid[]), 'QUEUED', $4, $4)
       INSERT INTO events (event_id, type, udid, data, occurred_at)
       SELECT gen_random_uuid(), 'command.queued.v2', CASE WHEN c.n = 1 THEN ($3::text[])[i] END,
              jsonb_build_object('commandUuid', $1::uuid, 'requestType', $5::text, 'status', 'QUEUED', 'devices', c.devices)
                || jsonb_strip_nulls(jsonb_build_object('correlationId', $6::text)),
              clock_timestamp()
         FROM generate_series(1, cardinality($3::text[]), $7) AS i
        CROSS JOIN LATERAL (
              SELECT count(*) AS n, jsonb_agg(jsonb_build_object('udid', x.udid, 'deviceId', x.id) ORDER BY x.k) AS devices
                FROM unnest(($3::text[])[i:i + $7 - 1], ($2::uuid[])[i:i + $7 - 1]) WITH ORDINALITY AS x(udid, id, k)) c
        ORDER BY i`,
      [command.commandUuid, devices.ids, devices.udids, at, command.requestType, command.correlationId, QUEUED_EVENT_DEVICES],
    );
  },

  /** As `queue`, for callers that hold only device ids: the devices' UDIDs and the command are read first. */
  async insertQueued(tx: Sql, commandUuid: string, deviceIds: readonly string[], at: Date): Promise<void> {
    const command = await selectOne<{ request_type: string; correlation_id: string | null }>(
      tx,
      `SELECT request_type, correlation_id FROM commands WHERE command_uuid = $1`,
      [commandUuid],
    );
    if (!command) throw new Error(`command ${commandUuid} not found`);
    const rows = rowsOf<{ id: string; udid: string }>(
      await tx.query(`SELECT d.id, d.udid FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, n) JOIN devices d ON d.id = x.id ORDER BY x.n`, [deviceIds]),
    );
    const ref = { commandUuid, requestType: command.request_type, correlationId: command.correlation_id };
    await this.queue(tx, ref, { ids: rows.map((r) => r.id), udids: rows.map((r) => r.udid) }, at);
  },

  /** Deliveries that are final from the start: BLOCKED with why, each with its `command.blocked` event. */
  async insertBlocked(tx: Sql, command: QueuedCommandRef, blocked: ReadonlyArray<{ id: string; udid: string; reason: string }>, at: Date): Promise<void> {
    if (!blocked.length) return;
    await tx.query(
      `WITH blocked AS (
         INSERT INTO command_deliveries (command_uuid, device_id, status, status_reason, queued_at, completed_at, updated_at)
         SELECT $1, b.id, 'BLOCKED', b.reason, $5, $5, $5 FROM unnest($2::uuid[], $4::text[]) AS b(id, reason))
       INSERT INTO events (event_id, type, udid, data, occurred_at)
       SELECT gen_random_uuid(), 'command.blocked', b.udid,
              jsonb_strip_nulls(jsonb_build_object('udid', b.udid, 'deviceId', b.id, 'commandUuid', $1::uuid, 'requestType', $6::text,
                'status', 'BLOCKED', 'reason', b.reason, 'notNowCount', 0, 'correlationId', $7::text)),
              clock_timestamp()
         FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS b(id, udid, reason, n)
        ORDER BY b.n`,
      [command.commandUuid, blocked.map((b) => b.id), blocked.map((b) => b.udid), blocked.map((b) => b.reason), at, command.requestType, command.correlationId],
    );
  },

  /** The device's delivery of a command, row-locked until the transaction ends. */
  async lock(tx: Sql, commandUuid: string, deviceId: string): Promise<LockedDelivery | undefined> {
    const [row] = await selectPrepared<{ id: string; status: CommandStatus; not_now_count: number; queued_at: Date; correlation_id: string | null }>(
      tx,
      'mdm_connect_lock_delivery',
      `SELECT d.id, d.status, d.not_now_count, d.queued_at, c.correlation_id
         FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.command_uuid = $1 AND d.device_id = $2
          FOR UPDATE OF d`,
      [commandUuid, deviceId],
    );
    return row && { id: String(row.id), status: row.status, notNowCount: row.not_now_count, queuedAt: row.queued_at, correlationId: row.correlation_id };
  },

  /** Records a final answer; jsonb columns are written as JSON text. */
  async finish(tx: Sql, id: string, status: CommandStatus, errorChain: unknown[] | null, result: JsonObject | null): Promise<void> {
    await executePrepared(
      tx,
      'mdm_connect_finish_delivery',
      `UPDATE command_deliveries SET status = $2, error_chain = $3, result = $4, completed_at = now(), updated_at = now() WHERE id = $1`,
      [id, status, errorChain && JSON.stringify(errorChain), result && JSON.stringify(result)],
    );
  },

  async recordNotNow(tx: Sql, id: string): Promise<void> {
    await executePrepared(
      tx,
      'mdm_connect_not_now',
      `UPDATE command_deliveries SET status = $2, not_now_count = not_now_count + 1, updated_at = now() WHERE id = $1`,
      [id, CommandStatus.NotNow],
    );
  },

  /**
   * The device's open deliveries whose command expired become EXPIRED rather than being handed out late. The
   * expiry is looked up per open delivery by primary key: a join may otherwise walk every expired command.
   * The literal status list keeps the partial index in the prepared statement's generic plan.
   */
  async expireOpenOf(tx: Sql, deviceId: string, since: Date | null): Promise<void> {
    await executePrepared(
      tx,
      'mdm_connect_expire_open',
      `UPDATE command_deliveries d SET status = $3, status_reason = '${EXPIRED_BEFORE_DELIVERY}', completed_at = now(), updated_at = now()
        WHERE d.device_id = $1 AND d.status IN ${OPEN_STATUS_LIST} AND d.status = ANY($2) AND ${servableSince('$4')}
          AND (SELECT c.expires_at FROM commands c WHERE c.command_uuid = d.command_uuid) <= now()`,
      [deviceId, OPEN_COMMAND_STATUSES, CommandStatus.Expired, since],
    );
  },

  /**
   * The oldest servable delivery in one of `eligible`, row-locked. A plain lock, not SKIP LOCKED: a delivery
   * locked by another writer (QUEUED turning SENT) is waited for and then handed out, where skipping it would
   * send the device away with nothing. Says whether its command expired, so the caller runs `expireOpenOf`
   * (an UPDATE whose trigger fires even for no row) only when something did.
   */
  async lockNext(tx: Sql, deviceId: string, eligible: readonly CommandStatus[], since: Date | null): Promise<NextCommand | undefined> {
    const [row] = await selectPrepared<{ id: string; command_plist: string; command_uuid: string; correlation_id: string | null; expired: boolean }>(
      tx,
      'mdm_connect_lock_next',
      `SELECT d.id, c.command_plist, c.command_uuid, c.correlation_id, COALESCE(c.expires_at <= now(), false) AS expired
         FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND d.status IN ${OPEN_STATUS_LIST} AND d.status = ANY($2) AND ${servableSince('$3')}
        ORDER BY d.id
        LIMIT 1
        FOR UPDATE OF d`,
      [deviceId, eligible, since],
    );
    return row && { id: String(row.id), commandUuid: row.command_uuid, commandPlist: row.command_plist, correlationId: row.correlation_id, expired: row.expired };
  },

  /** Handed to the device in a connect response. */
  async markDelivered(tx: Sql, id: string): Promise<void> {
    await executePrepared(tx, 'mdm_connect_mark_delivered', `UPDATE command_deliveries SET status = $2, delivered_at = now(), updated_at = now() WHERE id = $1`, [
      id,
      CommandStatus.Push,
    ]);
  },

  /** Cancels the open deliveries in `scope`, keeping them as CANCELED history with `reason`; returns how many. */
  async cancelOpen(
    db: Sql,
    scope: { deviceId: string } | { commandUuid: string; udids?: readonly string[] },
    reason: string,
  ): Promise<number> {
    const [condition, params] =
      'deviceId' in scope
        ? ['device_id = $4', [scope.deviceId]]
        : scope.udids
          ? ['command_uuid = $4 AND device_id IN (SELECT id FROM devices WHERE udid = ANY($5::text[]))', [scope.commandUuid, [...scope.udids]]]
          : ['command_uuid = $4', [scope.commandUuid]];
    return rowCountOf(
      await db.query(
        `UPDATE command_deliveries SET status = $1, status_reason = $2, completed_at = now(), updated_at = now()
          WHERE status = ANY($3) AND ${condition}`,
        [CommandStatus.Canceled, reason, OPEN_COMMAND_STATUSES, ...params],
      ),
    );
  },

  /**
   * Cancels the open deliveries of the device `udid` queued before `before` (what an Authenticate or a
   * CheckOut ended), with `reason`; returns how many.
   */
  async cancelQueuedBefore(tx: Sql, udid: string, before: Date, reason: string): Promise<number> {
    return rowCountOf(
      await tx.query(
        `UPDATE command_deliveries d SET status = $3, status_reason = $4, completed_at = now(), updated_at = now()
           FROM devices dev
          WHERE dev.udid = $1 AND d.device_id = dev.id AND d.status IN ${OPEN_STATUS_LIST} AND d.queued_at < $2`,
        [udid, before, CommandStatus.Canceled, reason],
      ),
    );
  },

  /**
   * How many deliveries of the device's current enrollment are open: read by the enrollment service for
   * `device.checked_out` (the command service cancels them when it follows that event).
   */
  async countOpenOf(db: Sql, deviceId: string): Promise<number> {
    const row = await selectOne<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM command_deliveries d JOIN devices dev ON dev.id = d.device_id
        WHERE d.device_id = $1 AND d.status IN ${OPEN_STATUS_LIST} AND ${servableSince('dev.authenticated_at')}`,
      [deviceId],
    );
    return row?.n ?? 0;
  },

  /** Up to `limit` open deliveries whose command is past its expiresAt become EXPIRED; returns how many. */
  async expireDue(db: Sql, limit: number): Promise<number> {
    const rows = rowsOf<{ id: string }>(
      await db.query(
        `UPDATE command_deliveries SET status = $2, status_reason = '${EXPIRED_BEFORE_DELIVERY}', completed_at = now(), updated_at = now()
          WHERE id IN (
            SELECT d.id FROM commands c JOIN command_deliveries d ON d.command_uuid = c.command_uuid
             WHERE c.expires_at IS NOT NULL AND c.expires_at <= now() AND d.status = ANY($1)
             LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
          RETURNING id`,
        [OPEN_COMMAND_STATUSES, CommandStatus.Expired, limit],
      ),
    );
    return rows.length;
  },
};
