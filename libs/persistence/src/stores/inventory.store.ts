import { OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import type { CertificateSummary, InventoryChange, JsonDict } from '@mdm/protocol';
import { rowsOf, type Sql } from '../sql';

/** Commands whose answers make up the inventory; an open one means a refresh is under way. */
const INVENTORY_REQUEST_TYPES = ['DeviceInformation', 'SecurityInfo', 'CertificateList'];

export type InventorySection = 'deviceInformation' | 'securityInfo' | 'certificates';
const COLUMN: Record<InventorySection, string> = {
  deviceInformation: 'device_information',
  securityInfo: 'security_info',
  certificates: 'certificates',
};

export interface StoredInventory {
  deviceInformation: JsonDict | null;
  deviceInformationAt: Date | null;
  securityInfo: JsonDict | null;
  securityInfoAt: Date | null;
  certificates: CertificateSummary[] | null;
  certificatesAt: Date | null;
  refreshRequestedAt: Date | null;
  refreshSource: string | null;
}

export interface StoredInventoryChange extends InventoryChange {
  id: string;
  requestType: string;
  commandUuid: string | null;
  changedAt: Date;
}

interface InventoryRow {
  device_information: JsonDict | null;
  device_information_at: Date | null;
  security_info: JsonDict | null;
  security_info_at: Date | null;
  certificates: CertificateSummary[] | null;
  certificates_at: Date | null;
  refresh_requested_at: Date | null;
  refresh_source: string | null;
}

function fromRow(r: InventoryRow): StoredInventory {
  return {
    deviceInformation: r.device_information,
    deviceInformationAt: r.device_information_at,
    securityInfo: r.security_info,
    securityInfoAt: r.security_info_at,
    certificates: r.certificates,
    certificatesAt: r.certificates_at,
    refreshRequestedAt: r.refresh_requested_at,
    refreshSource: r.refresh_source,
  };
}

/**
 * The inventory store: one row per device and its change history. The command service is the only
 * writer; every write runs in the caller's transaction, after `lockInventories` for the devices it touches.
 */
export const InventoryStore = {
  /** The devices of these UDIDs that exist, with whether they are enrolled (what a refresh may target). */
  async devicesByUdid(q: Sql, udids: readonly string[]): Promise<Array<{ id: string; udid: string; enrolled: boolean }>> {
    return rowsOf(await q.query('SELECT id, udid, enrolled FROM devices WHERE udid = ANY($1::text[])', [udids]));
  },

  /** Creates missing rows and locks them in id order, so concurrent writers of one device take turns. */
  async lock(tx: Sql, deviceIds: readonly string[]): Promise<Map<string, StoredInventory>> {
    if (!deviceIds.length) return new Map();
    await tx.query(
      `INSERT INTO device_inventories (device_id) SELECT unnest($1::uuid[]) ORDER BY 1 ON CONFLICT (device_id) DO NOTHING`,
      [deviceIds],
    );
    const rows = rowsOf<InventoryRow & { device_id: string }>(
      await tx.query(`SELECT * FROM device_inventories WHERE device_id = ANY($1::uuid[]) ORDER BY device_id FOR UPDATE`, [deviceIds]),
    );
    return new Map(rows.map((r) => [r.device_id, fromRow(r)]));
  },

  async read(db: Sql, deviceId: string): Promise<StoredInventory | undefined> {
    const [row] = rowsOf<InventoryRow>(await db.query(`SELECT * FROM device_inventories WHERE device_id = $1`, [deviceId]));
    return row && fromRow(row);
  },

  async saveSection(tx: Sql, deviceId: string, section: InventorySection, value: JsonDict | CertificateSummary[]): Promise<void> {
    const column = COLUMN[section];
    await tx.query(
      `UPDATE device_inventories SET ${column} = $2, ${column}_at = now(), updated_at = now() WHERE device_id = $1`,
      [deviceId, JSON.stringify(value)],
    );
  },

  async recordChanges(tx: Sql, deviceId: string, source: { requestType: string; commandUuid: string | null }, changes: readonly InventoryChange[]): Promise<void> {
    if (!changes.length) return;
    await tx.query(
      `INSERT INTO device_inventory_changes (device_id, field, old_value, new_value, request_type, command_uuid)
       SELECT $1, c.field, c.old_value, c.new_value, $2, $3
         FROM unnest($4::text[], $5::jsonb[], $6::jsonb[]) AS c(field, old_value, new_value)`,
      [
        deviceId,
        source.requestType,
        source.commandUuid,
        changes.map((c) => c.field),
        changes.map((c) => JSON.stringify(c.oldValue)),
        changes.map((c) => JSON.stringify(c.newValue)),
      ],
    );
  },

  /** Newest first; `before` is the id of the last change of the previous page. */
  async changes(db: Sql, deviceId: string, page: { limit: number; before?: string }): Promise<StoredInventoryChange[]> {
    const rows = rowsOf<{ id: string; field: string; old_value: InventoryChange['oldValue']; new_value: InventoryChange['newValue']; request_type: string; command_uuid: string | null; changed_at: Date }>(
      await db.query(
        `SELECT id::text, field, old_value, new_value, request_type, command_uuid, changed_at FROM device_inventory_changes
          WHERE device_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
        [deviceId, page.before ?? null, page.limit],
      ),
    );
    return rows.map((r) => ({ id: r.id, field: r.field, oldValue: r.old_value, newValue: r.new_value, requestType: r.request_type, commandUuid: r.command_uuid, changedAt: r.changed_at }));
  },

  /** Of these devices, those with an inventory command not answered yet. */
  async withOpenRefresh(tx: Sql, deviceIds: readonly string[]): Promise<Set<string>> {
    const rows = rowsOf<{ device_id: string }>(
      await tx.query(
        `SELECT DISTINCT d.device_id FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
          WHERE d.device_id = ANY($1::uuid[]) AND d.status = ANY($2) AND c.request_type = ANY($3)`,
        [deviceIds, OPEN_COMMAND_STATUSES, INVENTORY_REQUEST_TYPES],
      ),
    );
    return new Set(rows.map((r) => r.device_id));
  },

  async markRefreshRequested(tx: Sql, deviceIds: readonly string[], source: string): Promise<void> {
    if (!deviceIds.length) return;
    await tx.query(
      `UPDATE device_inventories SET refresh_requested_at = now(), refresh_source = $2, updated_at = now() WHERE device_id = ANY($1::uuid[])`,
      [deviceIds, source],
    );
  },

  /** Enrolled devices whose last refresh was asked for longer than `intervalMs` ago (or never), oldest first. */
  async dueForRefresh(db: Sql, intervalMs: number, limit: number): Promise<Array<{ id: string; udid: string }>> {
    return rowsOf<{ id: string; udid: string }>(
      await db.query(
        `SELECT d.id, d.udid FROM devices d LEFT JOIN device_inventories i ON i.device_id = d.id
          WHERE d.enrolled AND COALESCE(i.refresh_requested_at, d.enrolled_at, '-infinity') < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY COALESCE(i.refresh_requested_at, d.enrolled_at) NULLS FIRST LIMIT $2`,
        [intervalMs, limit],
      ),
    );
  },
};
