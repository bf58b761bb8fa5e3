import { FINAL_COMMAND_STATUSES, type StrandedTopic } from '@mdm/contracts';
import { rowsOf, type Sql } from '../sql';

/**
 * An enrolled device (alias `d`) is stranded while no push certificate for its topic is stored: APNs will
 * take no push for it from this server until a certificate for that topic comes back or it re-enrolls.
 */
const STRANDED = `d.enrolled AND d.topic IS NOT NULL AND NOT EXISTS (SELECT 1 FROM apns_certificates c WHERE c.topic = d.topic)`;

/** Stranded devices per topic, most first. */
export async function strandedTopics(q: Sql): Promise<StrandedTopic[]> {
  const rows = rowsOf<{ topic: string; devices: number }>(await q.query(
    `SELECT d.topic, count(*)::int AS devices FROM devices d WHERE ${STRANDED} GROUP BY d.topic ORDER BY devices DESC, d.topic`,
  ));
  return rows.map((r) => ({ topic: r.topic, devices: r.devices }));
}

/** The stranded ones among these devices, with their topic. */
export async function strandedTopicsOf(q: Sql, deviceIds: readonly string[]): Promise<Map<string, string>> {
  if (!deviceIds.length) return new Map();
  const rows = rowsOf<{ id: string; topic: string }>(await q.query(
    `SELECT d.id, d.topic FROM devices d WHERE d.id = ANY($1::uuid[]) AND ${STRANDED}`,
    [[...new Set(deviceIds)]],
  ));
  return new Map(rows.map((r) => [r.id, r.topic]));
}

/** Devices enrolled under a topic, whether or not its certificate is stored. */
export async function countEnrolledOnTopic(q: Sql, topic: string): Promise<number> {
  const rows = rowsOf<{ n: number }>(await q.query('SELECT count(*)::int AS n FROM devices WHERE topic = $1 AND enrolled', [topic]));
  return rows[0]?.n ?? 0;
}

/** Enrolled devices under a topic that still have commands to fetch: to push once its certificate is back. */
export async function devicesWithOpenCommandsOnTopic(q: Sql, topic: string): Promise<string[]> {
  const rows = rowsOf<{ id: string }>(await q.query(
    `SELECT d.id FROM devices d
      WHERE d.topic = $1 AND d.enrolled
        AND EXISTS (SELECT 1 FROM command_deliveries q WHERE q.device_id = d.id AND NOT (q.status = ANY($2::text[])))`,
    [topic, FINAL_COMMAND_STATUSES],
  ));
  return rows.map((r) => r.id);
}
