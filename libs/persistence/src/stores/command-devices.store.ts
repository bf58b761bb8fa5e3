import { OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import { selectPrepared } from '../prepared';
import { select, selectOne, type Sql } from '../sql';
import { OPEN_STATUS_LIST, servableSince } from './command-deliveries.store';
import { lastPushAtSql, pushableDeviceSql } from './device-push-status.store';

/** A device as the connect channel checks it, with whether it has commands that may be served. */
export interface ConnectingDevice {
  id: string;
  enrolled: boolean;
  certFingerprint: string | null;
  /** The latest Authenticate: deliveries queued before it are never served. */
  authenticatedAt: Date | null;
  open: boolean;
}

/** What queueing a command needs of a device. */
export interface CommandTarget {
  id: string;
  udid: string;
  enrolled: boolean;
  isSupervised: boolean | null;
  osVersion: string | null;
}

/** The command service's reads of `devices` (owned by the enrollment service): it never writes them. */
export const CommandDevicesStore = {
  /**
   * The device of a connect, by UDID. One indexed read: `open` is an index probe of the pending deliveries
   * (the literal status list lets the planner use the partial index).
   */
  async connecting(db: Sql, udid: string): Promise<ConnectingDevice | undefined> {
    const [row] = await selectPrepared<{ id: string; enrolled: boolean; cert_fingerprint: string | null; authenticated_at: Date | null; open: boolean }>(
      db,
      'mdm_connect_device',
      `SELECT dev.id, dev.enrolled, dev.cert_fingerprint, dev.authenticated_at,
              EXISTS (SELECT 1 FROM command_deliveries d
                       WHERE d.device_id = dev.id AND d.status IN ${OPEN_STATUS_LIST} AND ${servableSince('dev.authenticated_at')}) AS open
         FROM devices dev WHERE dev.udid = $1`,
      [udid],
    );
    return row && { id: row.id, enrolled: row.enrolled, certFingerprint: row.cert_fingerprint, authenticatedAt: row.authenticated_at, open: row.open };
  },

  /**
   * The devices of these UDIDs that exist, in id order: deliveries inserted in that order land in the
   * indexes led by `device_id` side by side instead of at 100,000 random places (about a third less work).
   * One array parameter, not one per UDID: a fleet-wide command names 100,000.
   */
  async commandTargets(tx: Sql, udids: readonly string[]): Promise<CommandTarget[]> {
    const rows = await select<{ id: string; udid: string; enrolled: boolean; is_supervised: boolean | null; os_version: string | null }>(
      tx,
      'SELECT id, udid, enrolled, is_supervised, os_version FROM devices WHERE udid = ANY($1::text[]) ORDER BY id',
      [udids],
    );
    return rows.map((r) => ({ id: r.id, udid: r.udid, enrolled: r.enrolled, isSupervised: r.is_supervised, osVersion: r.os_version }));
  },

  async idByUdid(db: Sql, udid: string): Promise<string | undefined> {
    return (await selectOne<{ id: string }>(db, 'SELECT id FROM devices WHERE udid = $1', [udid]))?.id;
  },

  /**
   * Pushable enrolled devices with open commands that have neither connected nor been pushed for
   * `silentSeconds` (at most `limit`).
   */
  async silentWithOpenCommands(db: Sql, silentSeconds: number, limit: number): Promise<string[]> {
    const rows = await select<{ id: string }>(
      db,
      `SELECT d.id FROM devices d
        WHERE ${pushableDeviceSql('d')}
          AND COALESCE(d.last_seen_at, d.enrolled_at, '-infinity') < now() - make_interval(secs => $1)
          AND ${lastPushAtSql('d')} < now() - make_interval(secs => $1)
          AND EXISTS (SELECT 1 FROM command_deliveries q WHERE q.device_id = d.id AND q.status = ANY($2))
        LIMIT $3`,
      [silentSeconds, OPEN_COMMAND_STATUSES, limit],
    );
    return rows.map((r) => r.id);
  },
};
