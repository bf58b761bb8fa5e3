import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { CommandStatus, type CreateCommandsRequest, noPushCertificateReason, iso } from '@mdm/contracts';
import { CommandDeliveryEntity, CommandEntity, DeviceEntity, type JsonObject, type JsonValue, strandedTopicsOf } from '@mdm/persistence';
import {
  buildCommandPlist,
  type CommandPayload,
  commandApplicability,
  jsonToPlistValue,
  type PlistDict,
  ProtocolError,
  validateCommand,
} from '@mdm/protocol';
import { currentRequestId } from '@mdm/service-kit';
import { PushRequestsService } from '../push/push-requests.service';

export interface DeliveryView {
  udid: string;
  status: CommandStatus;
  statusReason: string | null;
  notNowCount: number;
  errorChain: JsonValue[] | null;
  result: JsonObject | null;
  queuedAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  completedAt: string | null;
}

export interface CommandView {
  commandUuid: string;
  requestType: string;
  command: JsonObject;
  createdAt: string;
  expiresAt: string | null;
  /** Devices the command targets, and how many are in each status. */
  total: number;
  counts: Partial<Record<CommandStatus, number>>;
  limit: number;
  offset: number;
  devices: DeliveryView[];
  /** What Apple's schema doesn't know about the command as sent (unknown keys). */
  warnings?: string[];
}

/** A command in the list: what it is and where it stands across its devices. */
/** What `queue` wrote, as JSON: the answer is built from it, and a retried `POST /v1/commands` replays it. */
export interface QueuedCommand {
  commandUuid: string;
  requestType: string;
  devices: number;
  planned: { ids: string[]; delayMs: number };
  warnings: string[];
  correlationId: string | null;
}

export type CommandSummary = Pick<CommandView, 'commandUuid' | 'requestType' | 'createdAt' | 'expiresAt' | 'total' | 'counts'>;

/** Devices listed in the answer to POST /v1/commands (the rest: GET with ?offset=). */
const CREATE_ANSWER_DEVICES = 1000;

@Injectable()
export class CommandsService {
  private readonly logger = new Logger(CommandsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly pushes: PushRequestsService,
  ) {}

  /**
   * One command (one CommandUUID) queued for every named device in one transaction: either all
   * devices get it or none does, and with it the push requests (coalesced per device). `correlationId` (the
   * request's `X-Request-Id`) is stored with the command and its push requests, and travels on its events.
   */
  async create(req: CreateCommandsRequest, correlationId: string | undefined = currentRequestId()): Promise<CommandView> {
    const queued = await this.dataSource.transaction((tx) => this.queue(tx, req, correlationId));
    return this.answer(queued, { dispatch: true });
  }

  /**
   * The writes of `create`, in the caller's transaction (`POST /v1/commands` adds its idempotency key to
   * it). Returns what the answer is built from, as JSON: it is also what a retried request replays.
   */
  async queue(tx: EntityManager, req: CreateCommandsRequest, correlationId: string | undefined = currentRequestId()): Promise<QueuedCommand> {
    const warnings = req.raw ? [] : this.validate(req.command);
    const commandUuid = req.commandUuid?.toLowerCase() ?? randomUUID();
    const plist = this.render(commandUuid, req.command);
    const udids = [...new Set(req.udids)];
    const now = new Date();
    const expiresAt = req.expiresAt ? new Date(req.expiresAt) : null;
    if (expiresAt && expiresAt <= now) throw new BadRequestException('expiresAt: must be in the future');

    // One array parameter, not one per UDID: a fleet-wide command names 100,000 devices.
    const found: Array<{ id: string; udid: string; enrolled: boolean; is_supervised: boolean | null; os_version: string | null }> = await tx.query(
      'SELECT id, udid, enrolled, is_supervised, os_version FROM devices WHERE udid = ANY($1::text[])',
      [udids],
    );
    const known = new Set(found.map((d) => d.udid));
    const unknown = udids.filter((u) => !known.has(u));
    if (unknown.length) throw new NotFoundException(`unknown device(s): ${unknown.slice(0, 20).join(', ')}`);
    const unenrolled = found.filter((d) => !d.enrolled).map((d) => d.udid);
    if (unenrolled.length) throw new ConflictException(`device(s) not enrolled: ${unenrolled.slice(0, 20).join(', ')}`);

    // set_config makes the id the default of the push requests this transaction inserts (migration
    // CorrelationIds1764283000000), in the same statement: no extra round trip, no second write per row.
    const inserted: unknown[] = await tx.query(
      `INSERT INTO commands (command_uuid, request_type, payload, command_plist, expires_at, correlation_id)
       VALUES ($1, $2, $3, $4, $5, NULLIF(set_config('mdm.correlation_id', $6, true), ''))
       ON CONFLICT (command_uuid) DO NOTHING RETURNING command_uuid`,
      [commandUuid, req.command.RequestType, JSON.stringify(req.command), plist, expiresAt, correlationId ?? ''],
    );
    if (!inserted.length) throw new ConflictException(`commandUuid: a command ${commandUuid} exists already`);
    // A device that can't run the command (supervision, iOS version) gets it BLOCKED, never sent.
    const runnable: typeof found = [];
    const blocked: Array<{ id: string; reason: string }> = [];
    for (const d of found) {
      const verdict = commandApplicability(req.command.RequestType, { supervised: d.is_supervised, osVersion: d.os_version });
      if (verdict.ok) runnable.push(d);
      else blocked.push({ id: d.id, reason: verdict.reason });
    }
    await tx.query(
      `INSERT INTO command_deliveries (command_uuid, device_id, status, queued_at, updated_at)
       SELECT $1, unnest($2::uuid[]), $3, $4, $4`,
      [commandUuid, runnable.map((d) => d.id), CommandStatus.Queued, now],
    );
    if (blocked.length) {
      await tx.query(
        `INSERT INTO command_deliveries (command_uuid, device_id, status, status_reason, queued_at, completed_at, updated_at)
         SELECT $1, b.id, $2, b.reason, $3, $3, $3 FROM unnest($4::uuid[], $5::text[]) AS b(id, reason)`,
        [commandUuid, CommandStatus.Blocked, now, blocked.map((b) => b.id), blocked.map((b) => b.reason)],
      );
    }
    // The push request commits with the command, so a crash between the two cannot lose it.
    const planned = req.push && runnable.length ? await this.pushes.request(tx, runnable.map((d) => d.id), 'command') : { ids: [], delayMs: 0 };
    return { commandUuid, requestType: req.command.RequestType, devices: udids.length, planned, warnings, correlationId: correlationId ?? null };
  }

  /**
   * After the commit: the push jobs (`dispatch: false` when replaying, the first request sent them or the
   * push sweep will) and the answer, which lists devices only for small commands; a fleet-wide one is
   * followed with GET and paging.
   */
  async answer(queued: QueuedCommand, options: { dispatch: boolean }): Promise<CommandView> {
    const { commandUuid, planned, warnings } = queued;
    if (options.dispatch) {
      await this.pushes.dispatch(planned);
      this.logger.log({ msg: `command ${commandUuid} queued`, commandUuid, requestType: queued.requestType, devices: queued.devices, pushes: planned.ids.length, correlationId: queued.correlationId });
    }
    const view = await this.get(commandUuid, { limit: CREATE_ANSWER_DEVICES, offset: 0 });
    return warnings.length ? { ...view, warnings } : view;
  }

  /** Apple's schema for the command: errors are a 400 naming the key, warnings travel with the answer. */
  private validate(command: CreateCommandsRequest['command']): string[] {
    const report = validateCommand(command);
    if (report.errors.length) throw new BadRequestException(report.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    return report.warnings.map((w) => `${w.path}: ${w.message}`);
  }

  /**
   * The command with per-status counts over all its devices and one page of them, optionally only those in
   * the given statuses (`total` then counts those), sorted by one of `CommandDevicesQuery`'s fields.
   */
  async get(
    commandUuid: string,
    page: { limit: number; offset: number } & Partial<Pick<import('@mdm/contracts').CommandDevicesQuery, 'status' | 'sort' | 'order'>>,
  ): Promise<CommandView> {
    const command = await this.dataSource.getRepository(CommandEntity).findOneBy({ commandUuid });
    if (!command) throw new NotFoundException(`command ${commandUuid} not found`);
    const sortBy: Record<import('@mdm/contracts').CommandDevicesQuery['sort'], string> = { ...DELIVERY_SORT, udid: 'dev.udid' };
    const query = this.deliveries(page.status, (d) =>
      d.innerJoin(DeviceEntity, 'dev', 'dev.id = d.device_id').addSelect('dev.udid', 'udid').where('d.command_uuid = :commandUuid', { commandUuid }),
    );
    const [rows, counts] = await Promise.all([
      sortedPage(query, sortBy, { ...page, sort: page.sort ?? 'queuedAt' }).then(async ({ raw, entities }) => {
        const stranded = await this.strandedOf(entities);
        return entities.map((e, i) => deliveryView(e, (raw[i] as { udid: string }).udid, stranded));
      }),
      this.dataSource.query(`SELECT status, count(*)::int AS n FROM command_deliveries WHERE command_uuid = $1 GROUP BY status`, [commandUuid]) as Promise<
        Array<{ status: CommandStatus; n: number }>
      >,
    ]);
    const byStatus = Object.fromEntries(counts.map((c) => [c.status, c.n])) as Partial<Record<CommandStatus, number>>;
    return {
      commandUuid,
      requestType: command.requestType,
      command: command.payload,
      createdAt: command.createdAt.toISOString(),
      expiresAt: command.expiresAt?.toISOString() ?? null,
      // The counts already hold what a filtered count would: no second pass over the deliveries.
      total: counts.filter((c) => !page.status || page.status.includes(c.status)).reduce((sum, c) => sum + c.n, 0),
      counts: byStatus,
      limit: page.limit,
      offset: page.offset,
      devices: rows,
    };
  }

  /** The commands, newest first by default, each with how many of its devices are in each status. */
  async list(q: import('@mdm/contracts').CommandListQuery): Promise<import('@mdm/contracts').OffsetPage<'commands', CommandSummary>> {
    const where = `($1::text IS NULL OR c.request_type = $1) AND ($2::timestamptz IS NULL OR c.created_at >= $2)`;
    const sortBy = { createdAt: 'c.created_at', requestType: 'c.request_type' }[q.sort];
    const order = q.order === 'desc' ? 'DESC' : 'ASC';
    const filters = [q.requestType ?? null, q.since ?? null];
    const [rows, total]: [Array<{ command_uuid: string; request_type: string; created_at: Date; expires_at: Date | null }>, Array<{ n: number }>] = await Promise.all([
      this.dataSource.query(
        `SELECT c.command_uuid, c.request_type, c.created_at, c.expires_at FROM commands c WHERE ${where}
          ORDER BY ${sortBy} ${order}, c.command_uuid ${order} LIMIT $3 OFFSET $4`,
        [...filters, q.limit, q.offset],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM commands c WHERE ${where}`, filters),
    ]);
    const counts: Array<{ command_uuid: string; status: CommandStatus; n: number }> = await this.dataSource.query(
      `SELECT command_uuid, status, count(*)::int AS n FROM command_deliveries WHERE command_uuid = ANY($1::uuid[]) GROUP BY command_uuid, status`,
      [rows.map((r) => r.command_uuid)],
    );
    return {
      commands: rows.map((r) => {
        const mine = counts.filter((c) => c.command_uuid === r.command_uuid);
        return {
          commandUuid: r.command_uuid,
          requestType: r.request_type,
          createdAt: r.created_at.toISOString(),
          expiresAt: iso(r.expires_at),
          total: mine.reduce((sum, c) => sum + c.n, 0),
          counts: Object.fromEntries(mine.map((c) => [c.status, c.n])) as Partial<Record<CommandStatus, number>>,
        };
      }),
      total: total[0]!.n,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** A device's commands, newest first by default, filtered and sorted as `DeviceCommandsQuery` allows. */
  async history(
    udid: string,
    q: import('@mdm/contracts').DeviceCommandsQuery,
  ): Promise<import('@mdm/contracts').OffsetPage<'commands', DeliveryView & { commandUuid: string; requestType: string }> & { udid: string }> {
    const device = await this.dataSource.getRepository(DeviceEntity).findOne({ where: { udid }, select: { id: true } });
    if (!device) throw new NotFoundException(`device ${udid} not found`);
    const sortBy: Record<import('@mdm/contracts').DeviceCommandsQuery['sort'], string> = { ...DELIVERY_SORT, requestType: 'c.request_type' };
    const query = this.deliveries(q.status, (d) =>
      d.innerJoin(CommandEntity, 'c', 'c.command_uuid = d.command_uuid').addSelect('c.request_type', 'request_type').where('d.device_id = :id', { id: device.id }),
    );
    if (q.requestType) query.andWhere('c.request_type = :requestType', { requestType: q.requestType });
    const [{ raw, entities }, total] = await Promise.all([sortedPage(query, sortBy, q), query.getCount()]);
    const stranded = await this.strandedOf(entities);
    return {
      udid,
      commands: entities.map((e, i) => ({
        commandUuid: e.commandUuid,
        requestType: (raw[i] as { request_type: string }).request_type,
        ...deliveryView(e, udid, stranded),
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /**
   * Deliveries (alias `d`) as `scope` joins and restricts them (`where` first: it replaces earlier
   * conditions), then only those in `status` when given: what a command's device page and a device's
   * command history both list.
   */
  private deliveries(
    status: readonly CommandStatus[] | undefined,
    scope: (d: SelectQueryBuilder<CommandDeliveryEntity>) => SelectQueryBuilder<CommandDeliveryEntity>,
  ): SelectQueryBuilder<CommandDeliveryEntity> {
    const query = scope(this.dataSource.getRepository(CommandDeliveryEntity).createQueryBuilder('d'));
    if (status) query.andWhere('d.status IN (:...statuses)', { statuses: status });
    return query;
  }

  /** The topics of those devices, among these deliveries' QUEUED ones, that no stored certificate can push. */
  private strandedOf(deliveries: readonly CommandDeliveryEntity[]): Promise<Map<string, string>> {
    return strandedTopicsOf(this.dataSource.manager, deliveries.filter((d) => d.status === CommandStatus.Queued).map((d) => d.deviceId));
  }

  private render(commandUuid: string, command: CreateCommandsRequest['command']): string {
    try {
      const dict = jsonToPlistValue(command, 'command') as PlistDict;
      return buildCommandPlist(commandUuid, dict as CommandPayload);
    } catch (err) {
      if (err instanceof ProtocolError) throw new BadRequestException(err.message);
      throw err;
    }
  }
}

/** Sort columns every delivery list has; each list adds those of what it joins. */
const DELIVERY_SORT = { queuedAt: 'd.id', completedAt: 'd.completed_at', status: 'd.status' } as const;

/**
 * One page of the deliveries `query` selects (alias `d`), sorted by `sort` then by id (queue order), both in
 * `order`. `query` itself is left as it was, so it can still be counted.
 */
function sortedPage<S extends string>(
  query: SelectQueryBuilder<CommandDeliveryEntity>,
  sortBy: Record<S, string>,
  page: { sort: S; order?: 'asc' | 'desc'; limit: number; offset: number },
): Promise<{ entities: CommandDeliveryEntity[]; raw: unknown[] }> {
  const order = page.order === 'desc' ? 'DESC' : 'ASC';
  return (
    query
      .clone()
      // NULLS LAST only where a column can be null: on the id it would keep Postgres from walking an index.
      .orderBy(sortBy[page.sort], order, page.sort === 'completedAt' ? 'NULLS LAST' : undefined)
      .addOrderBy('d.id', order)
      .limit(page.limit)
      .offset(page.offset)
      .getRawAndEntities()
  );
}


/** `strandedTopics`: device id to topic, for devices whose topic has no push certificate (they stay QUEUED). */
function deliveryView(d: CommandDeliveryEntity, udid: string, strandedTopics: ReadonlyMap<string, string>): DeliveryView {
  const stranded = d.status === CommandStatus.Queued ? strandedTopics.get(d.deviceId) : undefined;
  return {
    udid,
    status: d.status,
    statusReason: d.statusReason ?? (stranded !== undefined ? noPushCertificateReason(stranded) : null),
    notNowCount: d.notNowCount,
    errorChain: d.errorChain,
    result: d.result,
    queuedAt: d.queuedAt.toISOString(),
    sentAt: iso(d.sentAt),
    deliveredAt: iso(d.deliveredAt),
    completedAt: iso(d.completedAt),
  };
}
