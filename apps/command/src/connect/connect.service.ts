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
import { CommandDeliveryEntity, CommandEntity, type JsonObject, preferIndexLookups, rowsOf } from '@mdm/persistence';
import {
  type CommandReport,
  isInventoryRequestType,
  isPlistDict,
  type PlistDict,
  parseDeviceInformation,
  parseReport,
  plistToJson,
  ProtocolError,
} from '@mdm/protocol';
import { requireBoundCertificate, retryDelayMs, type VerifiedDeviceCert } from '@mdm/service-kit';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { logDeviceAnswer } from '../commands/command-log';
import { recordInventoryAnswer } from '../inventory/inventory-recorder';
import { PushRequestsService } from '../push/push-requests.service';
import { LastSeenBuffer } from './last-seen';

/** A push to send once the connect transaction commits. */
type PlannedPush = { ids: string[]; delayMs: number };

/** The answer keys of DeviceInformation, SecurityInfo and CertificateList. */
const INVENTORY_ANSWER_KEYS = ['QueryResponses', 'SecurityInfo', 'CertificateList'];

/** A result may arrive for a command in any of these; a final status is never overwritten. */
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
 * nothing open is one indexed read; anything else is one transaction. `last_seen_at` is written in batches.
 */
@Injectable()
export class ConnectService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConnectService.name);
  private readonly lastSeen: LastSeenBuffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pushes: PushRequestsService,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {
    this.lastSeen = new LastSeenBuffer(
      (ids, seenAt) => this.writeLastSeen(ids, seenAt),
      (err, devices) => this.logger.warn(`last_seen_at of ${devices} devices not written yet (retrying): ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.lastSeen.start();
  }

  /** Before the pool closes: what connects saw is written. */
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
    const [device] = rowsOf<{ id: string; enrolled: boolean; cert_fingerprint: string | null; open: boolean }>(
      await this.dataSource.query(
        `SELECT d.id, d.enrolled, d.cert_fingerprint,
                EXISTS (SELECT 1 FROM command_deliveries q
                         WHERE q.device_id = d.id AND q.status IN ('QUEUED', 'SENT', 'PUSH', 'NOTNOW')) AS open
           FROM devices d WHERE d.udid = $1`,
        [report.udid],
      ),
    );
    requireBoundCertificate(device && { ...device, certFingerprint: device.cert_fingerprint }, report.udid, cert);
    if (!device.enrolled) throw new UnauthorizedException(`device ${report.udid} is not enrolled`);
    // Nothing open (READY_ON_IDLE is every open status): nothing to offer and nothing that could expire.
    if (report.status === 'Idle' && !device.open) {
      this.lastSeen.mark(device.id);
      return '';
    }
    const planned: PlannedPush[] = [];
    const next = await this.dataSource.transaction(async (tx) => {
      if (report.status !== 'Idle') await this.recordResult(tx, device.id, report, planned);
      return this.nextCommand(tx, device.id, report.status === 'Idle' ? READY_ON_IDLE : READY);
    });
    this.lastSeen.mark(device.id);
    // The device waits on this response: don't make it wait for Redis too (the push sweep covers a failure).
    for (const p of planned) this.pushes.dispatchLater(p);
    if (report.commandUuid && report.status !== 'Idle') void logDeviceAnswer(this.dataSource, this.logger, report.udid, report.commandUuid, report.status);
    return next;
  }

  /** A time never moves back (an Authenticate or check-in may have written a newer one meanwhile). */
  private async writeLastSeen(ids: string[], seenAt: Date[]): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      // One primary-key lookup per device, whatever the statistics say right after a bulk enrollment.
      await preferIndexLookups(tx);
      await tx.query(
        `UPDATE devices d SET last_seen_at = v.seen_at
           FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, seen_at)
          WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen_at)`,
        [ids, seenAt],
      );
    });
  }

  private async recordResult(tx: EntityManager, deviceId: string, report: CommandReport, planned: PlannedPush[]): Promise<void> {
    const commandUuid = report.commandUuid;
    if (!commandUuid) return;
    const deliveries = tx.getRepository(CommandDeliveryEntity);
    const delivery = await deliveries.findOne({ where: { commandUuid, deviceId }, lock: { mode: 'pessimistic_write' } });
    if (!delivery) {
      this.logger.warn(`device ${report.udid} reported ${report.status} for unknown command ${commandUuid}`);
      return;
    }
    if (!OPEN_COMMAND_STATUSES.includes(delivery.status)) {
      this.logger.warn(`device ${report.udid} reported ${report.status} for ${commandUuid}, already ${delivery.status}`);
      return;
    }
    const result = answerOf(report.body);
    const chain = report.errorChain ?? null;
    switch (report.status) {
      case 'Acknowledged':
        await finish(tx, delivery.id, CommandStatus.Acknowledged, null, result);
        await this.applyAnswer(tx, deviceId, commandUuid, report.body);
        return;
      case 'Error':
        await finish(tx, delivery.id, CommandStatus.Error, chain ?? [], result);
        return;
      case 'CommandFormatError':
        await finish(tx, delivery.id, CommandStatus.FormatError, chain, result);
        return;
      case 'NotNow': {
        await tx.query(
          `UPDATE command_deliveries SET status = $2, not_now_count = not_now_count + 1, updated_at = now() WHERE id = $1`,
          [delivery.id, CommandStatus.NotNow],
        );
        // The device retries a NotNow only when it next connects: wake it later, backing off, a bounded number of times.
        const count = delivery.notNowCount + 1;
        if (count <= this.config.NOTNOW_RETRY_LIMIT) {
          const delay = retryDelayMs(count, this.config.NOTNOW_RETRY_BASE_MS, this.config.NOTNOW_RETRY_MAX_MS);
          planned.push(await this.pushes.request(tx, [deviceId], 'notnow', delay));
        }
        return;
      }
      case 'Idle':
        return;
      default: {
        const never: never = report.status;
        throw new BadRequestException(`unknown Status ${String(never)}`);
      }
    }
  }

  /**
   * Inventory answers (DeviceInformation, SecurityInfo, CertificateList) update the device's inventory and
   * history in the same transaction; DeviceInformation also updates the device's own columns.
   */
  private async applyAnswer(tx: EntityManager, deviceId: string, commandUuid: string, body: PlistDict): Promise<void> {
    // Most answers carry none of these: no lookup of the command for them on the hot path.
    if (!INVENTORY_ANSWER_KEYS.some((key) => key in body)) return;
    const command = await tx.getRepository(CommandEntity).findOne({ where: { commandUuid }, select: { requestType: true } });
    if (!command || !isInventoryRequestType(command.requestType)) return;
    await recordInventoryAnswer(tx, deviceId, { requestType: command.requestType, commandUuid }, body);
    const queryResponses = body['QueryResponses'];
    if (command.requestType !== 'DeviceInformation' || !isPlistDict(queryResponses)) return;
    const info = parseDeviceInformation(queryResponses);
    // A key the device didn't report keeps its previous value.
    await tx.query(
      `UPDATE devices SET device_information = $2,
              serial_number = COALESCE($3, serial_number), product_name = COALESCE($4, product_name),
              model = COALESCE($5, model), model_name = COALESCE($6, model_name), device_name = COALESCE($7, device_name),
              os_version = COALESCE($8, os_version), build_version = COALESCE($9, build_version),
              is_supervised = COALESCE($10, is_supervised), updated_at = now()
        WHERE id = $1`,
      [
        deviceId,
        JSON.stringify(plistToJson(queryResponses)),
        info.serialNumber ?? null,
        info.productName ?? null,
        info.model ?? null,
        info.modelName ?? null,
        info.deviceName ?? null,
        info.osVersion ?? null,
        info.buildVersion ?? null,
        info.isSupervised ?? null,
      ],
    );
  }

  private async nextCommand(tx: EntityManager, deviceId: string, eligible: CommandStatus[]): Promise<string> {
    // Expired commands leave the queue as EXPIRED rather than being handed out late. The expiry is looked up per
    // open delivery of this device by primary key: a join may otherwise walk every expired command there is.
    await tx.query(
      `UPDATE command_deliveries d SET status = $3, status_reason = 'expired before delivery', completed_at = now(), updated_at = now()
        WHERE d.device_id = $1 AND d.status = ANY($2)
          AND (SELECT c.expires_at FROM commands c WHERE c.command_uuid = d.command_uuid) <= now()`,
      [deviceId, OPEN_COMMAND_STATUSES, CommandStatus.Expired],
    );
    // A plain row lock, not SKIP LOCKED: a delivery locked by another writer (the push.sent consumer turning QUEUED into
    // SENT) is waited for and then handed out, where skipping it would send the device away with nothing.
    const rows: Array<{ id: string; command_plist: string; command_uuid: string; correlation_id: string | null }> = await tx.query(
      `SELECT d.id, c.command_plist, c.command_uuid, c.correlation_id
         FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND d.status IN ('QUEUED', 'SENT', 'PUSH', 'NOTNOW') AND d.status = ANY($2)
        ORDER BY d.id
        LIMIT 1
        FOR UPDATE OF d`,
      [deviceId, eligible],
    );
    const next = rows[0];
    if (!next) return '';
    this.logger.log({ msg: `command ${next.command_uuid} handed to device`, commandUuid: next.command_uuid, correlationId: next.correlation_id ?? undefined });
    await tx.query(
      `UPDATE command_deliveries SET status = $2, delivered_at = now(), updated_at = now() WHERE id = $1`,
      [next.id, CommandStatus.Push],
    );
    return next.command_plist;
  }
}

/** Records a final answer; jsonb columns are written as JSON text. */
async function finish(tx: EntityManager, id: string, status: CommandStatus, errorChain: unknown[] | null, result: JsonObject | null): Promise<void> {
  await tx.query(
    `UPDATE command_deliveries SET status = $2, error_chain = $3, result = $4, completed_at = now(), updated_at = now() WHERE id = $1`,
    [id, status, errorChain && JSON.stringify(errorChain), result && JSON.stringify(result)],
  );
}

/** What the device answered beyond the envelope (QueryResponses, ProfileList, ...), as JSON. */
function answerOf(body: PlistDict): JsonObject | null {
  const rest: PlistDict = {};
  for (const [k, v] of Object.entries(body)) {
    if (!['UDID', 'EnrollmentID', 'Status', 'CommandUUID', 'ErrorChain'].includes(k)) rest[k] = v;
  }
  return Object.keys(rest).length ? (plistToJson(rest) as JsonObject) : null;
}
