import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * Logs a device's answer to a command with the command's correlation id (the `X-Request-Id` of the API
 * call that queued it), so one id finds the call, the push, the answer and the webhook. Called without
 * awaiting after the connect transaction: the device never waits for this read (one primary-key lookup),
 * and a failure costs only the line.
 */
export async function logDeviceAnswer(dataSource: DataSource, logger: Logger, udid: string, commandUuid: string, status: string): Promise<void> {
  try {
    const rows: Array<{ correlation_id: string | null }> = await dataSource.query('SELECT correlation_id FROM commands WHERE command_uuid = $1', [commandUuid]);
    logger.log({ msg: `device ${udid} answered ${status} to command ${commandUuid}`, udid, commandUuid, status, correlationId: rows[0]?.correlation_id ?? undefined });
  } catch (err) {
    logger.warn(`logging the answer to command ${commandUuid} failed: ${(err as Error).message}`);
  }
}
