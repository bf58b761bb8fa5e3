import type { DeviceSortField, SortOrder } from '@mdm/contracts';
import { select, selectOne, type Sql } from '../sql';
import { DEVICE_COLUMNS, type DeviceRecord, type DeviceRow, deviceFromRow } from './device-record';

/** `GET /v1/devices`'s filters, sort and page (as `DeviceListQuery` in @mdm/contracts parses them). */
export interface DeviceListFilter {
  enrolled?: boolean;
  supervised?: boolean;
  /** A version prefix on dot boundaries; digits and dots only (the schema checks), so no LIKE escaping. */
  os?: string;
  osMin?: string;
  model?: string;
  serial?: string;
  search?: string;
  sort: DeviceSortField;
  order: SortOrder;
  limit: number;
  offset: number;
}

/**
 * What each sort field orders by. Versions compare numerically through `os_version_key()` (list-indexes
 * migration); missing values go last in either direction, and the id breaks ties so pages never overlap.
 */
const SORT_EXPRESSIONS: Record<DeviceSortField, string> = {
  createdAt: 'd.created_at',
  enrolledAt: 'd.enrolled_at',
  lastSeenAt: 'd.last_seen_at',
  udid: 'd.udid',
  serialNumber: 'd.serial_number',
  osVersion: 'os_version_key(d.os_version)',
};

/** Columns `search` looks in. */
const SEARCHED = ['d.device_name', 'd.serial_number', 'd.udid', 'd.model_name', 'd.product_name', 'd.model'];

/** The WHERE conditions of a filter, every value a parameter. */
function conditions(f: DeviceListFilter, params: unknown[]): string[] {
  const p = (value: unknown): string => `$${params.push(value)}`;
  const where: string[] = [];
  if (f.enrolled !== undefined) where.push(`d.enrolled = ${p(f.enrolled)}`);
  if (f.supervised !== undefined) where.push(`d.is_supervised = ${p(f.supervised)}`);
  if (f.os !== undefined) {
    const os = p(f.os);
    where.push(`(d.os_version = ${os} OR d.os_version LIKE ${os} || '.%')`);
  }
  if (f.osMin !== undefined) where.push(`os_version_key(d.os_version) >= os_version_key(${p(f.osMin)})`);
  if (f.model !== undefined) where.push(`lower(${p(f.model)}) IN (lower(d.model_name), lower(d.product_name), lower(d.model))`);
  // Serial numbers are upper case as devices report them; this keeps the devices_serial_number index usable.
  if (f.serial !== undefined) where.push(`d.serial_number = ${p(f.serial.toUpperCase())}`);
  if (f.search !== undefined) {
    const search = p(`%${f.search.replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`(${SEARCHED.map((c) => `${c} ILIKE ${search}`).join(' OR ')})`);
  }
  return where;
}

/** One page of devices and how many match in all. */
export async function listDevices(sql: Sql, f: DeviceListFilter): Promise<{ devices: DeviceRecord[]; total: number }> {
  const params: unknown[] = [];
  const where = conditions(f, params);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const order = f.order === 'asc' ? 'ASC' : 'DESC';
  // NULLS LAST only on nullable columns: elsewhere it would stop a backward walk of the udid index.
  const nulls = f.sort === 'createdAt' || f.sort === 'udid' ? '' : ' NULLS LAST';
  const rows = await select<DeviceRow>(
    sql,
    `SELECT ${DEVICE_COLUMNS} FROM devices d ${whereSql}
      ORDER BY ${SORT_EXPRESSIONS[f.sort]} ${order}${nulls}, d.id ${order}
      LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  );
  const count = await selectOne<{ total: number }>(sql, `SELECT count(*)::int AS total FROM devices d ${whereSql}`, params);
  return { devices: rows.map(deviceFromRow), total: count?.total ?? 0 };
}
