import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type CommandDeliveryView, type CommandDevicesQuery, type CommandListQuery, CommandStatus, type CommandSummary, type CommandView, type CreateCommandsRequest, type DeviceCommandsQuery, iso, noPushCertificateReason, type OffsetPage } from '@mdm/contracts';
import {
  CommandDeliveriesStore,
  CommandDeliveryListsStore,
  CommandDevicesStore,
  CommandsStore,
  type CommandTarget,
  type JsonObject,
  type StoredCommandDelivery,
  strandedTopicsOf,
} from '@mdm/persistence';
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

/** What `queue` wrote, as JSON: a retried `POST /v1/commands` replays it (the answer is then read back). */
export interface QueuedCommand {
  commandUuid: string;
  requestType: string;
  devices: number;
  warnings: string[];
  correlationId: string | null;
}

/** A delivery as `queue` wrote it: enough to answer without reading the deliveries back. */
interface WrittenDelivery {
  deviceId: string;
  udid: string;
  status: CommandStatus;
  reason: string | null;
}

/** What `queue` did: the record, the push requests to dispatch after the commit, and what the answer lists. */
export interface Queued extends QueuedCommand {
  planned: { ids: string[]; delayMs: number };
  command: JsonObject;
  createdAt: Date;
  expiresAt: Date | null;
  queuedAt: Date;
  counts: Partial<Record<CommandStatus, number>>;
  /** The first deliveries in queue order (those the answer lists). */
  listed: WrittenDelivery[];
}

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
    return this.answer(queued);
  }

  /**
   * The writes of `create`, in the caller's transaction (`POST /v1/commands` adds its idempotency key to
   * it): the devices looked up in one statement, the deliveries written in one per status.
   */
  async queue(tx: EntityManager, req: CreateCommandsRequest, correlationId: string | undefined = currentRequestId()): Promise<Queued> {
    const warnings = req.raw ? [] : this.validate(req.command);
    const commandUuid = req.commandUuid?.toLowerCase() ?? randomUUID();
    const plist = this.render(commandUuid, req.command);
    const udids = [...new Set(req.udids)];
    const now = new Date();
    const expiresAt = req.expiresAt ? new Date(req.expiresAt) : null;
    if (expiresAt && expiresAt <= now) throw new BadRequestException('expiresAt: must be in the future');

    const found = await CommandDevicesStore.commandTargets(tx, udids);
    if (found.length < udids.length) {
      const known = new Set(found.map((d) => d.udid));
      throw new NotFoundException(`unknown device(s): ${udids.filter((u) => !known.has(u)).slice(0, 20).join(', ')}`);
    }
    const unenrolled = found.filter((d) => !d.enrolled).map((d) => d.udid);
    if (unenrolled.length) throw new ConflictException(`device(s) not enrolled: ${unenrolled.slice(0, 20).join(', ')}`);

    const payload = req.command as JsonObject;
    const createdAt = await CommandsStore.insert(tx, { commandUuid, requestType: req.command.RequestType, payload, commandPlist: plist, expiresAt, correlationId: correlationId ?? null });
    if (!createdAt) throw new ConflictException(`commandUuid: a command ${commandUuid} exists already`);
    const { runnable, blocked } = splitByApplicability(req.command.RequestType, found);
    const ref = { commandUuid, requestType: req.command.RequestType, correlationId: correlationId ?? null };
    await CommandDeliveriesStore.queue(tx, ref, { ids: runnable.map((d) => d.id), udids: runnable.map((d) => d.udid) }, now);
    await CommandDeliveriesStore.insertBlocked(tx, ref, blocked, now);
    // The push request commits with the command, so a crash between the two cannot lose it.
    const planned = req.push && runnable.length ? await this.pushes.request(tx, runnable.map((d) => d.id), 'command') : { ids: [], delayMs: 0 };
    const counts: Partial<Record<CommandStatus, number>> = {};
    if (runnable.length) counts[CommandStatus.Queued] = runnable.length;
    if (blocked.length) counts[CommandStatus.Blocked] = blocked.length;
    const listed: WrittenDelivery[] = runnable
      .slice(0, CREATE_ANSWER_DEVICES)
      .map((d): WrittenDelivery => ({ deviceId: d.id, udid: d.udid, status: CommandStatus.Queued, reason: null }))
      .concat(blocked.slice(0, CREATE_ANSWER_DEVICES - Math.min(runnable.length, CREATE_ANSWER_DEVICES)).map((b) => ({ deviceId: b.id, udid: b.udid, status: CommandStatus.Blocked, reason: b.reason })));
    return {
      commandUuid,
      requestType: req.command.RequestType,
      devices: udids.length,
      warnings,
      correlationId: correlationId ?? null,
      planned,
      command: payload,
      createdAt,
      expiresAt,
      queuedAt: now,
      counts,
      listed,
    };
  }

  /**
   * After the commit: the push jobs and the answer, built from what `queue` wrote (the deliveries are not
   * read back); it lists devices only for small commands, a fleet-wide one is followed with GET and paging.
   */
  async answer(queued: Queued): Promise<CommandView> {
    const { commandUuid, planned, warnings } = queued;
    await this.pushes.dispatch(planned);
    this.logger.log({ msg: `command ${commandUuid} queued`, commandUuid, requestType: queued.requestType, devices: queued.devices, pushes: planned.ids.length, correlationId: queued.correlationId });
    const stranded = await strandedTopicsOf(this.dataSource, queued.listed.filter((d) => d.status === CommandStatus.Queued).map((d) => d.deviceId));
    const queuedAt = queued.queuedAt.toISOString();
    const view: CommandView = {
      commandUuid,
      requestType: queued.requestType,
      command: queued.command,
      createdAt: queued.createdAt.toISOString(),
      expiresAt: iso(queued.expiresAt),
      total: queued.devices,
      counts: queued.counts,
      limit: CREATE_ANSWER_DEVICES,
      offset: 0,
      devices: queued.listed.map((d) => ({
        udid: d.udid,
        status: d.status,
        statusReason: d.reason ?? (stranded.has(d.deviceId) ? noPushCertificateReason(stranded.get(d.deviceId)!) : null),
        notNowCount: 0,
        errorChain: null,
        result: null,
        queuedAt,
        sentAt: null,
        deliveredAt: null,
        completedAt: null,
      })),
    };
    return warnings.length ? { ...view, warnings } : view;
  }

  /** The answer to a retried request: the command as it stands now (the first request sent its pushes). */
  async replay(record: QueuedCommand): Promise<CommandView> {
    const view = await this.get(record.commandUuid, { limit: CREATE_ANSWER_DEVICES, offset: 0 });
    return record.warnings.length ? { ...view, warnings: record.warnings } : view;
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
  async get(commandUuid: string, page: { limit: number; offset: number } & Partial<Pick<CommandDevicesQuery, 'status' | 'sort' | 'order'>>): Promise<CommandView> {
    const command = await CommandsStore.find(this.dataSource, commandUuid);
    if (!command) throw new NotFoundException(`command ${commandUuid} not found`);
    const [rows, counts] = await Promise.all([
      CommandDeliveryListsStore.pageOfCommand(this.dataSource, commandUuid, page).then(async (deliveries) => {
        const stranded = await this.strandedOf(deliveries);
        return deliveries.map((d) => deliveryView(d, d.udid, stranded));
      }),
      CommandDeliveryListsStore.statusCounts(this.dataSource, commandUuid),
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
  async list(q: CommandListQuery): Promise<OffsetPage<'commands', CommandSummary>> {
    const { rows, total } = await CommandsStore.page(this.dataSource, q);
    const counts = await CommandDeliveryListsStore.statusCountsOf(this.dataSource, rows.map((r) => r.commandUuid));
    return {
      commands: rows.map((r) => {
        const mine = counts.filter((c) => c.commandUuid === r.commandUuid);
        return {
          commandUuid: r.commandUuid,
          requestType: r.requestType,
          createdAt: r.createdAt.toISOString(),
          expiresAt: iso(r.expiresAt),
          total: mine.reduce((sum, c) => sum + c.n, 0),
          counts: Object.fromEntries(mine.map((c) => [c.status, c.n])) as Partial<Record<CommandStatus, number>>,
        };
      }),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** A device's commands, newest first by default, filtered and sorted as `DeviceCommandsQuery` allows. */
  async history(udid: string, q: DeviceCommandsQuery): Promise<OffsetPage<'commands', CommandDeliveryView & { commandUuid: string; requestType: string }> & { udid: string }> {
    const deviceId = await CommandDevicesStore.idByUdid(this.dataSource, udid);
    if (!deviceId) throw new NotFoundException(`device ${udid} not found`);
    const { rows, total } = await CommandDeliveryListsStore.pageOfDevice(this.dataSource, deviceId, q);
    const stranded = await this.strandedOf(rows);
    return {
      udid,
      commands: rows.map((d) => ({ commandUuid: d.commandUuid, requestType: d.requestType, ...deliveryView(d, udid, stranded) })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** The topics of those devices, among these deliveries' QUEUED ones, that no stored certificate can push. */
  private strandedOf(deliveries: readonly StoredCommandDelivery[]): Promise<Map<string, string>> {
    return strandedTopicsOf(this.dataSource, deliveries.filter((d) => d.status === CommandStatus.Queued).map((d) => d.deviceId));
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

/** A device that can't run the command (supervision, iOS version) gets it BLOCKED, never sent. */
function splitByApplicability(requestType: string, found: readonly CommandTarget[]): { runnable: CommandTarget[]; blocked: Array<{ id: string; udid: string; reason: string }> } {
  const runnable: CommandTarget[] = [];
  const blocked: Array<{ id: string; udid: string; reason: string }> = [];
  for (const d of found) {
    const verdict = commandApplicability(requestType, { supervised: d.isSupervised, osVersion: d.osVersion });
    if (verdict.ok) runnable.push(d);
    else blocked.push({ id: d.id, udid: d.udid, reason: verdict.reason });
  }
  return { runnable, blocked };
}

/** `strandedTopics`: device id to topic, for devices whose topic has no push certificate (they stay QUEUED). */
function deliveryView(d: StoredCommandDelivery, udid: string, strandedTopics: ReadonlyMap<string, string>): CommandDeliveryView {
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
