import { selectOne, select, type Sql } from '../sql';

/** A device as the first inventory of an enrollment needs it. */
export interface EnrollingDevice {
  id: string;
  enrolled: boolean;
  enrollmentId: string;
}

/** What the command service reads to queue a device's first inventory once per enrollment. */
export const FirstInventoryStore = {
  async device(db: Sql, udid: string): Promise<EnrollingDevice | undefined> {
    const row = await selectOne<{ id: string; enrolled: boolean; enrollment_id: string }>(
      db,
      `SELECT id, enrolled, enrollment_id FROM devices WHERE udid = $1`,
      [udid],
    );
    return row && { id: row.id, enrolled: row.enrolled, enrollmentId: row.enrollment_id };
  },

  /** Which of DeviceInformation and ProfileList this enrollment (since its Authenticate) already has queued. */
  async queuedInventoryRequests(db: Sql, deviceId: string): Promise<Set<string>> {
    const rows = await select<{ request_type: string }>(
      db,
      `SELECT DISTINCT c.request_type FROM command_deliveries d JOIN commands c ON c.command_uuid = d.command_uuid
        WHERE d.device_id = $1 AND c.request_type IN ('DeviceInformation', 'ProfileList')
          AND d.queued_at >= (SELECT authenticated_at FROM devices WHERE id = $1)`,
      [deviceId],
    );
    return new Set(rows.map((r) => r.request_type));
  },
};
