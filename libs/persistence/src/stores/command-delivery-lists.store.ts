import { type CommandDevicesQuery, type CommandStatus, type DeviceCommandsQuery, OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import type { JsonObject, JsonValue } from '../json';
import { select, selectOne, type Sql } from '../sql';

/** A delivery as the admin API lists it. */
export interface StoredCommandDelivery {
  id: string;
  commandUuid: string;
  deviceId: string;
  status: CommandStatus;
  statusReason: string | null;
  notNowCount: number;
  errorChain: JsonValue[] | null;
  result: JsonObject | null;
  queuedAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  completedAt: Date | null;
}

/** An open delivery of a device, with its command's type and expiry. */
export interface PendingDelivery {
  commandUuid: string;
  requestType: string;
  status: CommandStatus;
  notNowCount: number;
  queuedAt: Date;
  expiresAt: Date | null;
}

interface DeliveryRow {
  id: string;
  command_uuid: string;
  device_id: string;
  status: CommandStatus;
  status_reason: string | null;
  not_now_count: number;
  error_chain: JsonValue[] | null;
  result: JsonObject | null;
  queued_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  completed_at: Date | null;
}

function fromRow(r: DeliveryRow): StoredCommandDelivery {
  return {
    id: String(r.id),
    commandUuid: r.command_uuid,
    deviceId: r.device_id,
    status: r.status,
    statusReason: r.status_reason,
    notNowCount: r.not_now_count,
    errorChain: r.error_chain,
    result: r.result,
    queuedAt: r.queued_at,
    sentAt: r.sent_at,
    deliveredAt: r.delivered_at,
    completedAt: r.completed_at,
  };
}

const DELIVERY_COLUMNS = `d.id, d.command_uuid, d.device_id, d.status, d.status_reason, d.not_now_count, d.error_chain, d.result,
  d.queued_at, d.sent_at, d.delivered_at, d.completed_at`;

/** Sort columns every delivery list has; each list adds those of what it joins. */
const DELIVERY_SORT = { queuedAt: 'd.id', completedAt: 'd.completed_at', status: 'd.status' } as const;
const COMMAND_DEVICES_SORT: Record<CommandDevicesQuery['sort'], string> = { ...DELIVERY_SORT, udid: 'dev.udid' };
const DEVICE_COMMANDS_SORT: Record<DeviceCommandsQuery['sort'], string> = { ...DELIVERY_SORT, requestType: 'c.request_type' };

/** `ORDER BY` the whitelisted column, then the id (queue order), both in `order`. */
function orderBy(column: string, sort: string, order: 'asc' | 'desc' | undefined): string {
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  // NULLS LAST only where a column can be null: on the id it would keep Postgres from walking an index.
  return `ORDER BY ${column} ${dir}${sort === 'completedAt' ? ' NULLS LAST' : ''}, d.id ${dir}`;
}

type CommandDevicesPage = { limit: number; offset: number } & Partial<Pick<CommandDevicesQuery, 'status' | 'sort' | 'order'>>;

/** Read side of the command queues: what the admin API, console and mdmctl list. */
export const CommandDeliveryListsStore = {
  /** One page of a command's deliveries with each device's UDID, only those in `status` when given. */
  async pageOfCommand(db: Sql, commandUuid: string, page: CommandDevicesPage): Promise<Array<StoredCommandDelivery & { udid: string }>> {
    const sort = page.sort ?? 'queuedAt';
    const rows = await select<DeliveryRow & { udid: string }>(
      db,
      `SELECT ${DELIVERY_COLUMNS}, dev.udid FROM command_deliveries d JOIN devices dev ON dev.id = d.device_id
        WHERE d.command_uuid = $1 AND ($2::text[] IS NULL OR d.status = ANY($2::text[]))
        ${orderBy(COMMAND_DEVICES_SORT[sort], sort, page.order)} LIMIT $3 OFFSET $4`,
      [commandUuid, page.status ?? null, page.limit, page.offset],
    );
    return rows.map((r) => ({ ...fromRow(r), udid: r.udid }));
  },

  /** One page of a device's deliveries with each command's type, filtered as `DeviceCommandsQuery` allows, and their count. */
  async pageOfDevice(db: Sql, deviceId: string, q: DeviceCommandsQuery): Promise<{ rows: Array<StoredCommandDelivery & { requestType: string }>; total: number }> {
    const from = `FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
      WHERE d.device_id = $1 AND ($2::text[] IS NULL OR d.status = ANY($2::text[])) AND ($3::text IS NULL OR c.request_type = $3)`;
    const filters = [deviceId, q.status ?? null, q.requestType ?? null];
    const [rows, count] = await Promise.all([
      select<DeliveryRow & { request_type: string }>(
        db,
        `SELECT ${DELIVERY_COLUMNS}, c.request_type ${from} ${orderBy(DEVICE_COMMANDS_SORT[q.sort], q.sort, q.order)} LIMIT $4 OFFSET $5`,
        [...filters, q.limit, q.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n ${from}`, filters),
    ]);
    return { rows: rows.map((r) => ({ ...fromRow(r), requestType: r.request_type })), total: count?.n ?? 0 };
  },

  /** How many of a command's deliveries are in each status. */
  async statusCounts(db: Sql, commandUuid: string): Promise<Array<{ status: CommandStatus; n: number }>> {
    return select(db, `SELECT status, count(*)::int AS n FROM command_deliveries WHERE command_uuid = $1 GROUP BY status`, [commandUuid]);
  },

  /** As `statusCounts`, for several commands. */
  async statusCountsOf(db: Sql, commandUuids: readonly string[]): Promise<Array<{ commandUuid: string; status: CommandStatus; n: number }>> {
    const rows = await select<{ command_uuid: string; status: CommandStatus; n: number }>(
      db,
      `SELECT command_uuid, status, count(*)::int AS n FROM command_deliveries WHERE command_uuid = ANY($1::uuid[]) GROUP BY command_uuid, status`,
      [commandUuids],
    );
    return rows.map((r) => ({ commandUuid: r.command_uuid, status: r.status, n: r.n }));
  },

  /** The device's open deliveries in queue order. */
  async pendingOf(db: Sql, deviceId: string): Promise<PendingDelivery[]> {
    const rows = await select<{ command_uuid: string; request_type: string; status: CommandStatus; not_now_count: number; queued_at: Date; expires_at: Date | null }>(
      db,
      `SELECT d.command_uuid, c.request_type, d.status, d.not_now_count, d.queued_at, c.expires_at
         FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND d.status = ANY($2) ORDER BY d.id`,
      [deviceId, OPEN_COMMAND_STATUSES],
    );
    return rows.map((r) => ({
      commandUuid: r.command_uuid,
      requestType: r.request_type,
      status: r.status,
      notNowCount: r.not_now_count,
      queuedAt: r.queued_at,
      expiresAt: r.expires_at,
    }));
  },
};
