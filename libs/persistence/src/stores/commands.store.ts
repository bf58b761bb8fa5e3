import type { CommandListQuery } from '@mdm/contracts';
import type { JsonObject } from '../json';
import { select, selectOne, type Sql } from '../sql';

export interface StoredCommand {
  commandUuid: string;
  requestType: string;
  payload: JsonObject;
  createdAt: Date;
  expiresAt: Date | null;
}

export interface NewCommand {
  commandUuid: string;
  requestType: string;
  payload: JsonObject;
  commandPlist: string;
  expiresAt: Date | null;
  correlationId: string | null;
}

interface CommandRow {
  command_uuid: string;
  request_type: string;
  payload: JsonObject;
  created_at: Date;
  expires_at: Date | null;
}

function fromRow(r: CommandRow): StoredCommand {
  return { commandUuid: r.command_uuid, requestType: r.request_type, payload: r.payload, createdAt: r.created_at, expiresAt: r.expires_at };
}

const LIST_SORT: Record<CommandListQuery['sort'], string> = { createdAt: 'c.created_at', requestType: 'c.request_type' };
const LIST_FILTER = `($1::text IS NULL OR c.request_type = $1) AND ($2::timestamptz IS NULL OR c.created_at >= $2)`;

/** The commands (`commands`), written by the command service only; their per-device life is in `CommandDeliveriesStore`. */
export const CommandsStore = {
  /**
   * Inserts the command and returns its creation time; undefined when one with that UUID exists. `set_config` makes the correlation id the
   * default of the push requests this transaction inserts (migration CorrelationIds1764283000000), in the
   * same statement: no extra round trip, no second write per row.
   */
  async insert(tx: Sql, command: NewCommand): Promise<Date | undefined> {
    const rows = await select<{ created_at: Date }>(
      tx,
      `INSERT INTO commands (command_uuid, request_type, payload, command_plist, expires_at, correlation_id)
       VALUES ($1, $2, $3, $4, $5, NULLIF(set_config('mdm.correlation_id', $6, true), ''))
       ON CONFLICT (command_uuid) DO NOTHING RETURNING created_at`,
      [command.commandUuid, command.requestType, JSON.stringify(command.payload), command.commandPlist, command.expiresAt, command.correlationId ?? ''],
    );
    return rows[0]?.created_at;
  },

  async find(db: Sql, commandUuid: string): Promise<StoredCommand | undefined> {
    const row = await selectOne<CommandRow>(
      db,
      `SELECT command_uuid, request_type, payload, created_at, expires_at FROM commands WHERE command_uuid = $1`,
      [commandUuid],
    );
    return row && fromRow(row);
  },

  async exists(db: Sql, commandUuid: string): Promise<boolean> {
    return (await select(db, 'SELECT 1 FROM commands WHERE command_uuid = $1', [commandUuid])).length > 0;
  },

  /** Only the type: what the connect channel needs to tell an inventory answer from the rest. */
  async requestType(db: Sql, commandUuid: string): Promise<string | undefined> {
    return (await selectOne<{ request_type: string }>(db, 'SELECT request_type FROM commands WHERE command_uuid = $1', [commandUuid]))?.request_type;
  },

  /** The `X-Request-Id` of the call that queued the command; undefined for an unknown command. */
  async correlationId(db: Sql, commandUuid: string): Promise<string | null | undefined> {
    return (await selectOne<{ correlation_id: string | null }>(db, 'SELECT correlation_id FROM commands WHERE command_uuid = $1', [commandUuid]))?.correlation_id;
  },

  /** One page of the commands as `CommandListQuery` filters and sorts them (then by UUID), and how many match. */
  async page(db: Sql, q: CommandListQuery): Promise<{ rows: Array<Omit<StoredCommand, 'payload'>>; total: number }> {
    const order = q.order === 'desc' ? 'DESC' : 'ASC';
    const filters = [q.requestType ?? null, q.since ?? null];
    const [rows, count] = await Promise.all([
      select<Omit<CommandRow, 'payload'>>(
        db,
        `SELECT c.command_uuid, c.request_type, c.created_at, c.expires_at FROM commands c WHERE ${LIST_FILTER}
          ORDER BY ${LIST_SORT[q.sort]} ${order}, c.command_uuid ${order} LIMIT $3 OFFSET $4`,
        [...filters, q.limit, q.offset],
      ),
      selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM commands c WHERE ${LIST_FILTER}`, filters),
    ]);
    return {
      rows: rows.map((r) => ({ commandUuid: r.command_uuid, requestType: r.request_type, createdAt: r.created_at, expiresAt: r.expires_at })),
      total: count?.n ?? 0,
    };
  },
};
