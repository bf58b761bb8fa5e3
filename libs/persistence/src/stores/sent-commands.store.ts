import { CommandStatus } from '@mdm/contracts';
import { preferIndexLookups, type Sql } from '../sql';

/** APNs accepted a push for each of `deviceIds`: the commands queued for them up to `at` were announced. */
export interface AcceptedPushes {
  deviceIds: readonly string[];
  at: string;
}

/** QUEUED → SENT once a push announced the commands (the command service, following `push.sent.v2`). */
export const SentCommandsStore = {
  /**
   * One UPDATE for many groups of accepted pushes. Only QUEUED moves: a command the device already
   * fetched or answered must not go back. Index lookups per device even when statistics lag a bulk insert.
   */
  async markSent(tx: Sql, groups: readonly AcceptedPushes[]): Promise<void> {
    // A device in two groups moves up to the later bound: one UPDATE applies one joined row per target row.
    const latest = new Map<string, string>();
    for (const g of groups) {
      const at = new Date(g.at).toISOString();
      for (const id of g.deviceIds) {
        const seen = latest.get(id);
        if (seen === undefined || seen < at) latest.set(id, at);
      }
    }
    if (!latest.size) return;
    const deviceIds = [...latest.keys()];
    const ats = [...latest.values()];
    await preferIndexLookups(tx);
    await tx.query(
      `UPDATE command_deliveries d SET status = $3, sent_at = x.at, updated_at = now()
         FROM unnest($1::uuid[], $2::timestamptz[]) AS x(device_id, at)
        WHERE d.device_id = x.device_id AND d.status = $4 AND d.queued_at <= x.at`,
      [deviceIds, ats, CommandStatus.Sent, CommandStatus.Queued],
    );
  },
};
