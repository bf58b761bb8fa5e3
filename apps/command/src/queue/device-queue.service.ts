import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommandStatus, OPEN_COMMAND_STATUSES } from '@mdm/contracts';

/** Still waiting for the device: what an operator can see and cancel. */
const CANCELED_BY_OPERATOR = 'canceled by an operator';

export interface PendingCommandView {
  commandUuid: string;
  requestType: string;
  status: CommandStatus;
  notNowCount: number;
  queuedAt: string;
  expiresAt: string | null;
}

/**
 * Queue inspection for operators. Canceling keeps the rows as CANCELED history; a device that
 * answers a canceled command later is logged and otherwise ignored.
 */
@Injectable()
export class DeviceQueueService {
  constructor(private readonly dataSource: DataSource) {}

  async pending(udid: string): Promise<{ udid: string; pending: PendingCommandView[] }> {
    const deviceId = await this.deviceId(udid);
    const rows: Array<{ command_uuid: string; request_type: string; status: CommandStatus; not_now_count: number; queued_at: Date; expires_at: Date | null }> =
      await this.dataSource.query(
        `SELECT d.command_uuid, c.request_type, d.status, d.not_now_count, d.queued_at, c.expires_at
           FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
          WHERE d.device_id = $1 AND d.status = ANY($2) ORDER BY d.id`,
        [deviceId, OPEN_COMMAND_STATUSES],
      );
    return {
      udid,
      pending: rows.map((r) => ({
        commandUuid: r.command_uuid,
        requestType: r.request_type,
        status: r.status,
        notNowCount: r.not_now_count,
        queuedAt: r.queued_at.toISOString(),
        expiresAt: r.expires_at?.toISOString() ?? null,
      })),
    };
  }

  async clear(udid: string): Promise<{ udid: string; canceled: number }> {
    const deviceId = await this.deviceId(udid);
    return { udid, canceled: await this.cancelWhere('device_id = $3', [deviceId]) };
  }

  /** Cancels a command on the named devices, or on every device it is still pending on. */
  async cancel(commandUuid: string, udids: readonly string[] | undefined): Promise<{ commandUuid: string; canceled: number }> {
    const exists: unknown[] = await this.dataSource.query('SELECT 1 FROM commands WHERE command_uuid = $1', [commandUuid]);
    if (!exists.length) throw new NotFoundException(`command ${commandUuid} not found`);
    const canceled = udids
      ? await this.cancelWhere('command_uuid = $3 AND device_id IN (SELECT id FROM devices WHERE udid = ANY($4::text[]))', [commandUuid, [...udids]])
      : await this.cancelWhere('command_uuid = $3', [commandUuid]);
    return { commandUuid, canceled };
  }

  private async cancelWhere(condition: string, params: unknown[]): Promise<number> {
    // Wrapped in a SELECT so the driver answers rows, whose count is what was canceled.
    const rows: unknown[] = await this.dataSource.query(
      `WITH canceled AS (
         UPDATE command_deliveries SET status = $1, status_reason = $2, completed_at = now(), updated_at = now()
          WHERE status = ANY($${params.length + 3}) AND ${condition} RETURNING 1)
       SELECT 1 FROM canceled`,
      [CommandStatus.Canceled, CANCELED_BY_OPERATOR, ...params, OPEN_COMMAND_STATUSES],
    );
    return rows.length;
  }

  private async deviceId(udid: string): Promise<string> {
    const rows: Array<{ id: string }> = await this.dataSource.query('SELECT id FROM devices WHERE udid = $1', [udid]);
    if (!rows[0]) throw new NotFoundException(`device ${udid} not found`);
    return rows[0].id;
  }
}
