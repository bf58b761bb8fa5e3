import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CommandsStore } from '@mdm/persistence';

/**
 * Logs a device's answer to a command with the command's correlation id (the `X-Request-Id` of the API
 * call that queued it), so one id finds the call, the push, the answer and the webhook. Called without
 * awaiting after the connect transaction: the device never waits for this read (one primary-key lookup),
 * and a failure costs only the line.
 */
export async function logDeviceAnswer(dataSource: DataSource, logger: Logger, udid: string, commandUuid: string, status: string): Promise<void> {
  try {
    const correlationId = await CommandsStore.correlationId(dataSource, commandUuid);
    logger.log({ msg: `device ${udid} answered ${status} to command ${commandUuid}`, udid, commandUuid, status, correlationId: correlationId ?? undefined });
  } catch (err) {
    logger.warn(`logging the answer to command ${commandUuid} failed: ${(err as Error).message}`);
  }
}
