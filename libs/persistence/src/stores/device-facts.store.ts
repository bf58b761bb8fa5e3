import { select, selectOne, type Sql } from '../sql';

/**
 * What the profile service knows of a device: read only, from the tables enrollment (`devices`) and the
 * command service (`device_inventories`) own. Unknown facts are null.
 */
export interface DeviceFacts {
  id: string;
  udid: string;
  enrolled: boolean;
  /** The device has answered DeviceInformation: supervision and iOS version are known, not guessed. */
  inventoried: boolean;
  supervised: boolean | null;
  osVersion: string | null;
  productName: string | null;
}

interface FactsRow {
  id: string;
  udid: string;
  enrolled: boolean;
  inventoried: boolean;
  supervised: boolean | null;
  os_version: string | null;
  product_name: string | null;
}

/**
 * The DeviceInformation answer (its QueryResponses, as JSON) wins over the device's own columns; a value
 * of the wrong JSON type is skipped, as parseDeviceInformation skips it.
 */
const FACTS = `SELECT d.id, d.udid, d.enrolled, i.device_information_at IS NOT NULL AS inventoried,
       COALESCE(CASE WHEN jsonb_typeof(i.device_information->'IsSupervised') = 'boolean' THEN (i.device_information->>'IsSupervised')::boolean END, d.is_supervised) AS supervised,
       COALESCE(CASE WHEN jsonb_typeof(i.device_information->'OSVersion') = 'string' THEN i.device_information->>'OSVersion' END, d.os_version) AS os_version,
       COALESCE(CASE WHEN jsonb_typeof(i.device_information->'ProductName') = 'string' THEN i.device_information->>'ProductName' END, d.product_name) AS product_name
  FROM devices d LEFT JOIN device_inventories i ON i.device_id = d.id`;

/** Device lookups of the profile service (it writes neither table). */
export const DeviceFactsStore = {
  /** The facts of these devices, or of every device (`null`: a dynamic group's rule is matched against all). */
  async facts(db: Sql, ids: readonly string[] | null): Promise<DeviceFacts[]> {
    const rows = await select<FactsRow>(db, `${FACTS} WHERE $1::uuid[] IS NULL OR d.id = ANY($1::uuid[]) ORDER BY d.id`, [ids]);
    return rows.map((r) => ({
      id: r.id,
      udid: r.udid,
      enrolled: r.enrolled,
      inventoried: r.inventoried,
      supervised: r.supervised,
      osVersion: r.os_version,
      productName: r.product_name,
    }));
  },

  /** The devices of these UDIDs that exist. */
  async byUdid(db: Sql, udids: readonly string[]): Promise<Array<{ id: string; udid: string }>> {
    return select(db, `SELECT id, udid FROM devices WHERE udid = ANY($1::text[])`, [udids]);
  },

  async udidsOf(db: Sql, ids: readonly string[]): Promise<string[]> {
    const rows = await select<{ udid: string }>(db, `SELECT udid FROM devices WHERE id = ANY($1::uuid[]) ORDER BY udid`, [ids]);
    return rows.map((r) => r.udid);
  },

  async isEnrolled(db: Sql, id: string): Promise<boolean> {
    return (await selectOne<{ enrolled: boolean }>(db, `SELECT enrolled FROM devices WHERE id = $1`, [id]))?.enrolled ?? false;
  },

  /** How many of these UDIDs belong to enrolled devices. */
  async countEnrolled(db: Sql, udids: readonly string[]): Promise<number> {
    return (await selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM devices WHERE udid = ANY($1::text[]) AND enrolled`, [udids]))!.n;
  },
};
