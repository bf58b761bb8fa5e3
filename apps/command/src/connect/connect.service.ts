import { BadRequestException, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CommandStatus } from '@mdm/contracts';
import { CommandDeliveryEntity, CommandEntity, DeviceEntity, type JsonObject } from '@mdm/persistence';
import {
  type CommandReport,
  type PlistDict,
  parseDeviceInformation,
  parseReport,
  plistToJson,
  ProtocolError,
} from '@mdm/protocol';
import { retryDelayMs, type VerifiedDeviceCert } from '@mdm/service-kit';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { PushRequestsService } from '../push/push-requests.service';

/** A push to send once the connect transaction commits. */
type PlannedPush = { ids: string[]; delayMs: number };

/** A result may arrive for a command in any of these; a final status is never overwritten. */
const OPEN: CommandStatus[] = [CommandStatus.Queued, CommandStatus.Sent, CommandStatus.Push, CommandStatus.NotNow];
/** Offered in any connect. */
const READY: CommandStatus[] = [CommandStatus.Queued, CommandStatus.Sent];
/**
 * Offered only when the device says Idle, i.e. at the start of a session: a NotNow'd command must
 * not come back in the session that refused it, and a command handed out but never answered
 * (the connection dropped) is offered again next time.
 */
const READY_ON_IDLE: CommandStatus[] = [...READY, CommandStatus.Push, CommandStatus.NotNow];

/** The command channel: record the device's answer, hand out the next command. One transaction per request. */
@Injectable()
export class ConnectService {
  private readonly logger = new Logger(ConnectService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly pushes: PushRequestsService,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {}

  /** Returns the next command plist, or '' to end the session. */
  async handle(body: Buffer, cert: VerifiedDeviceCert): Promise<string> {
    let report: CommandReport;
    try {
      report = parseReport(body);
    } catch (err) {
      if (err instanceof ProtocolError) throw new BadRequestException(err.message);
      throw err;
    }
    const planned: PlannedPush[] = [];
    const next = await this.dataSource.transaction(async (tx) => {
      const device = await tx.getRepository(DeviceEntity).findOne({
        where: { udid: report.udid },
        select: { id: true, udid: true, enrolled: true, certFingerprint: true },
      });
      if (!device || device.certFingerprint !== cert.fingerprint) {
        throw new UnauthorizedException(`certificate is not the one bound to device ${report.udid}`);
      }
      if (!device.enrolled) throw new UnauthorizedException(`device ${report.udid} is not enrolled`);
      if (report.status !== 'Idle') await this.recordResult(tx, device.id, report, planned);
      await tx.getRepository(DeviceEntity).update({ id: device.id }, { lastSeenAt: new Date() });
      return this.nextCommand(tx, device.id, report.status === 'Idle' ? READY_ON_IDLE : READY);
    });
    // The device waits on this response: don't make it wait for Redis too (the push sweep covers a failure).
    for (const p of planned) this.pushes.dispatchLater(p);
    return next;
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
    if (!OPEN.includes(delivery.status)) {
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

  /** Query answers that describe the device update its record in the same transaction. */
  private async applyAnswer(tx: EntityManager, deviceId: string, commandUuid: string, body: PlistDict): Promise<void> {
    const queryResponses = body['QueryResponses'];
    if (!queryResponses || typeof queryResponses !== 'object' || Buffer.isBuffer(queryResponses) || Array.isArray(queryResponses) || queryResponses instanceof Date) return;
    const command = await tx.getRepository(CommandEntity).findOne({ where: { commandUuid }, select: { requestType: true } });
    if (command?.requestType !== 'DeviceInformation') return;
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
    // Expired commands leave the queue as EXPIRED rather than being handed out late.
    await tx.query(
      `UPDATE command_deliveries d SET status = $3, status_reason = 'expired before delivery', completed_at = now(), updated_at = now()
         FROM commands c
        WHERE d.command_uuid = c.command_uuid AND d.device_id = $1 AND d.status = ANY($2)
          AND c.expires_at IS NOT NULL AND c.expires_at <= now()`,
      [deviceId, OPEN, CommandStatus.Expired],
    );
    const rows: Array<{ id: string; command_plist: string }> = await tx.query(
      `SELECT d.id, c.command_plist
         FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND d.status IN ('QUEUED', 'SENT', 'PUSH', 'NOTNOW') AND d.status = ANY($2)
        ORDER BY d.id
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED`,
      [deviceId, eligible],
    );
    const next = rows[0];
    if (!next) return '';
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
