import { CommandStatus } from '@mdm/contracts';
import { preferIndexLookups, type Sql } from '../sql';

/** APNs accepted a push for `deviceId`: the commands queued up to `at` were announced by it. */
export interface AcceptedPush {
  deviceId: string;
  at: string;
}

/** QUEUED → SENT once a push announced the commands (the command service, following `push.sent`). */
export const SentCommandsStore = {
  /**
   * One UPDATE for a whole group of accepted pushes. Only QUEUED moves: a command the device already
   * fetched or answered must not go back. Index lookups per device even when statistics lag a bulk insert.
   */
  async markSent(tx: Sql, pushes: readonly AcceptedPush[]): Promise<void> {
    if (!pushes.length) return;
    await preferIndexLookups(tx);
    await tx.query(
      `UPDATE command_deliveries d SET status = $3, sent_at = x.at, updated_at = now()
         FROM unnest($1::uuid[], $2::timestamptz[]) AS x(device_id, at)
        WHERE d.device_id = x.device_id AND d.status = $4 AND d.queued_at <= x.at`,
      [pushes.map((p) => p.deviceId), pushes.map((p) => p.at), CommandStatus.Sent, CommandStatus.Queued],
    );
  },
};
