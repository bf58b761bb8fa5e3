import {
  BadRequestException,
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  UnauthorizedException,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CommandStatus, OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import { CommandDeliveriesStore, CommandDevicesStore, CommandsStore, type ConnectingDevice, type JsonObject, type LockedDelivery, recordEvents } from '@mdm/persistence';
import {
  type CommandReport,
  isInventoryRequestType,
  isPlistDict,
  type PlistDict,
  parseReport,
  plistToJson,
  ProtocolError,
} from '@mdm/protocol';
import { requireBoundCertificate, retryDelayMs, type VerifiedDeviceCert } from '@mdm/service-kit';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { recordInventoryAnswer } from '../inventory/inventory-recorder';
import { PushRequestsService } from '../push/push-requests.service';
import { deviceInventoryUpdated } from './device-facts';
import { LastSeenBuffer } from './last-seen';

/** A push to send once the connect transaction commits. */
type PlannedPush = { ids: string[]; delayMs: number };

/** The answer keys of DeviceInformation, SecurityInfo and CertificateList. */
const INVENTORY_ANSWER_KEYS = ['QueryResponses', 'SecurityInfo', 'CertificateList'];

/** Offered in any connect. */
const READY: CommandStatus[] = [CommandStatus.Queued, CommandStatus.Sent];
/**
 * Offered only when the device says Idle, i.e. at the start of a session: a NotNow'd command must
 * not come back in the session that refused it, and a command handed out but never answered
 * (the connection dropped) is offered again next time.
 */
const READY_ON_IDLE: CommandStatus[] = [...READY, CommandStatus.Push, CommandStatus.NotNow];

/**
 * The command channel: record the device's answer, hand out the next command. An Idle from a device with
 * nothing open is one indexed read; anything else is one transaction. Devices seen go to the enrollment
 * service (owner of `devices`) in batches, as `device.seen` jobs.
 */
@Injectable()
export class ConnectService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConnectService.name);
  private readonly lastSeen: LastSeenBuffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pushes: PushRequestsService,
    producer: JobProducer,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {
    this.lastSeen = new LastSeenBuffer(
      (ids, seenAt) => producer.enqueue({ name: 'device.seen', data: { deviceIds: ids, seenAt: seenAt.map((at) => at.toISOString()) } }),
      (err, devices) => this.logger.warn(`last_seen_at of ${devices} devices not reported yet (retrying): ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.lastSeen.start();
  }

  /** Before Redis closes: what connects saw is reported. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.lastSeen.stop();
  }

  /** Returns the next command plist, or '' to end the session. */
  async handle(body: Buffer, cert: VerifiedDeviceCert): Promise<string> {
    let report: CommandReport;
    try {
      report = parseReport(body);
    } catch (err) {
      if (err instanceof ProtocolError) throw new BadRequestException(err.message);
      throw err;
    }
    // Read committed: the binding check reads the row as the transaction below would (it never locked it).
    const device = requireBoundCertificate(await CommandDevicesStore.connecting(this.dataSource, report.udid), report.udid, cert);
    if (!device.enrolled) throw new UnauthorizedException(`device ${report.udid} is not enrolled`);
    // Nothing open (READY_ON_IDLE is every open status): nothing to offer and nothing that could expire.
    if (report.status === 'Idle' && !device.open) {
      this.lastSeen.mark(device.id);
      return '';
    }
    const planned: PlannedPush[] = [];
    let answered: LockedDelivery | undefined;
    const next = await this.dataSource.transaction(async (tx) => {
      if (report.status !== 'Idle') answered = await this.recordResult(tx, device, report, planned);
      return this.nextCommand(tx, device, report.status === 'Idle' ? READY_ON_IDLE : READY);
    });
    this.lastSeen.mark(device.id);
    // The device waits on this response: don't make it wait for Redis too (the push sweep covers a failure).
    for (const p of planned) this.pushes.dispatchLater(p);
    if (report.commandUuid && report.status !== 'Idle') {
      // With the command's correlation id (the X-Request-Id of the call that queued it): one id finds the call, the push, the answer and the webhook.
      const { udid, commandUuid, status } = report;
      this.logger.log({ msg: `device ${udid} answered ${status} to command ${commandUuid}`, udid, commandUuid, status, correlationId: answered?.correlationId ?? undefined });
    }
    return next;
  }

  /** A result may arrive for a command in any open status; a final status is never overwritten. Returns the delivery it names, if any. */
  private async recordResult(tx: EntityManager, device: ConnectingDevice, report: CommandReport, planned: PlannedPush[]): Promise<LockedDelivery | undefined> {
    const commandUuid = report.commandUuid;
    if (!commandUuid) return undefined;
    const deviceId = device.id;
    const delivery = await CommandDeliveriesStore.lock(tx, commandUuid, deviceId);
    if (!delivery) {
      this.logger.warn(`device ${report.udid} reported ${report.status} for unknown command ${commandUuid}`);
      return undefined;
    }
    if (!OPEN_COMMAND_STATUSES.includes(delivery.status)) {
      this.logger.warn(`device ${report.udid} reported ${report.status} for ${commandUuid}, already ${delivery.status}`);
      return delivery;
    }
    if (device.authenticatedAt && delivery.queuedAt < device.authenticatedAt) {
      this.logger.warn(`device ${report.udid} reported ${report.status} for ${commandUuid}, queued before its latest enrollment`);
      return delivery;
    }
    const result = answerOf(report.body);
    const chain = report.errorChain ?? null;
    switch (report.status) {
      case 'Acknowledged':
        await CommandDeliveriesStore.finish(tx, delivery.id, CommandStatus.Acknowledged, null, result);
        await this.applyAnswer(tx, deviceId, report.udid, commandUuid, report.body);
        return delivery;
      case 'Error':
        await CommandDeliveriesStore.finish(tx, delivery.id, CommandStatus.Error, chain ?? [], result);
        return delivery;
      case 'CommandFormatError':
        await CommandDeliveriesStore.finish(tx, delivery.id, CommandStatus.FormatError, chain, result);
        return delivery;
      case 'NotNow': {
        await CommandDeliveriesStore.recordNotNow(tx, delivery.id);
        // The device retries a NotNow only when it next connects: wake it later, backing off, a bounded number of times.
        const count = delivery.notNowCount + 1;
        if (count <= this.config.NOTNOW_RETRY_LIMIT) {
          const delay = retryDelayMs(count, this.config.NOTNOW_RETRY_BASE_MS, this.config.NOTNOW_RETRY_MAX_MS);
          planned.push(await this.pushes.request(tx, [deviceId], 'notnow', delay));
        }
        return delivery;
      }
      case 'Idle':
        return delivery;
      default: {
        const never: never = report.status;
        throw new BadRequestException(`unknown Status ${String(never)}`);
      }
    }
  }

  /**
   * Inventory answers (DeviceInformation, SecurityInfo, CertificateList) update the device's inventory and
   * history in the same transaction; DeviceInformation's facts also go to the device's owner, as an event.
   */
  private async applyAnswer(tx: EntityManager, deviceId: string, udid: string, commandUuid: string, body: PlistDict): Promise<void> {
    // Most answers carry none of these: no lookup of the command for them on the hot path.
    if (!INVENTORY_ANSWER_KEYS.some((key) => key in body)) return;
    const requestType = await CommandsStore.requestType(tx, commandUuid);
    if (!requestType || !isInventoryRequestType(requestType)) return;
    await recordInventoryAnswer(tx, deviceId, { requestType, commandUuid }, body);
    const queryResponses = body['QueryResponses'];
    if (requestType !== 'DeviceInformation' || !isPlistDict(queryResponses)) return;
    await recordEvents(tx, [deviceInventoryUpdated(udid, deviceId, queryResponses)]);
  }

  private async nextCommand(tx: EntityManager, device: ConnectingDevice, eligible: readonly CommandStatus[]): Promise<string> {
    let next = await CommandDeliveriesStore.lockNext(tx, device.id, eligible, device.authenticatedAt);
    // Rarely: the next command expired. Expire all that did (their events come from that UPDATE), then look again.
    for (let attempt = 0; next?.expired && attempt < 3; attempt++) {
      await CommandDeliveriesStore.expireOpenOf(tx, device.id, device.authenticatedAt);
      next = await CommandDeliveriesStore.lockNext(tx, device.id, eligible, device.authenticatedAt);
    }
    if (!next || next.expired) return '';
    this.logger.log({ msg: `command ${next.commandUuid} handed to device`, commandUuid: next.commandUuid, correlationId: next.correlationId ?? undefined });
    await CommandDeliveriesStore.markDelivered(tx, next.id);
    return next.commandPlist;
  }
}

/** What the device answered beyond the envelope (QueryResponses, ProfileList, ...), as JSON. */
function answerOf(body: PlistDict): JsonObject | null {
  const rest: PlistDict = {};
  for (const [k, v] of Object.entries(body)) {
    if (!['UDID', 'EnrollmentID', 'Status', 'CommandUUID', 'ErrorChain'].includes(k)) rest[k] = v;
  }
  return Object.keys(rest).length ? (plistToJson(rest) as JsonObject) : null;
}
