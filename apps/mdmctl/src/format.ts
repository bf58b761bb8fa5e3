/** Plain-text output for operators: aligned columns, one line per event. */
import type { CommandDeliveryView, DeviceProfileView, DeviceView, EventView } from '@mdm/contracts';
import { readableData } from './event-data';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
}

/** Rows as aligned columns under a header; missing values show as `-`. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v);
}

/** `1-100 of 523` under a page of a list. */
export function pageFooter(page: { total: number; offset: number }, shown: number, noun: string): string {
  if (!page.total) return `no ${noun}`;
  if (!shown) return `none of ${page.total} ${noun} at offset ${page.offset}`;
  return `${page.offset + 1}-${page.offset + shown} of ${page.total} ${noun}`;
}

export type DeviceRow = Pick<DeviceView, 'udid' | 'serialNumber' | 'productName' | 'modelName' | 'osVersion' | 'enrolled' | 'supervised' | 'lastSeenAt'>;

export const DEVICE_COLUMNS: readonly Column<DeviceRow>[] = [
  { header: 'UDID', value: (d) => d.udid },
  { header: 'SERIAL', value: (d) => d.serialNumber },
  { header: 'MODEL', value: (d) => [d.modelName, d.productName && `(${d.productName})`].filter(Boolean).join(' ') },
  { header: 'OS', value: (d) => d.osVersion },
  { header: 'ENROLLED', value: (d) => (d.enrolled ? 'yes' : 'no') },
  { header: 'SUPERVISED', value: (d) => (d.supervised === null ? null : d.supervised ? 'yes' : 'no') },
  { header: 'LAST SEEN', value: (d) => d.lastSeenAt },
];

export type DeliveryRow = Pick<CommandDeliveryView, 'udid' | 'status' | 'statusReason' | 'errorChain'>;

export const DELIVERY_COLUMNS: readonly Column<DeliveryRow>[] = [
  { header: 'UDID', value: (d) => d.udid },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'DETAIL', value: (d) => deliveryDetail(d) },
];

/** Why a delivery is where it is: the server's reason, or the first error of Apple's chain. */
export function deliveryDetail(d: Pick<DeliveryRow, 'statusReason' | 'errorChain'>): string | null {
  if (d.statusReason) return d.statusReason;
  const first = d.errorChain?.[0];
  if (first && typeof first === 'object') {
    const e = first as Record<string, unknown>;
    const text = e['USEnglishDescription'] ?? e['LocalizedDescription'];
    return [e['ErrorDomain'], e['ErrorCode']].filter((x) => x !== undefined).join(' ') + (typeof text === 'string' ? `: ${text}` : '');
  }
  return null;
}

/** `QUEUED 3, ACKNOWLEDGED 1` in the order statuses appear in the answer. */
export function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
}

/** `data` is an object of fields in every event the server writes. */
export type EventRow = Pick<EventView, 'type' | 'udid' | 'occurredAt'> & { data: Record<string, unknown> };

/** Keys every event of a kind repeats, left out of the one-line summary. */
const NOISE = new Set(['udid', 'deviceId', 'enrollmentId']);
/** Scalars too long for the summary line, shown decoded under it. */
const BLOBS = new Set(['rawPayload']);

const isDetail = (k: string, v: unknown): boolean => BLOBS.has(k) || (v !== null && typeof v === 'object');

/** One event on one line: time, type, device, then its scalar fields as key=value. */
export function eventLine(e: EventRow): string {
  const fields = Object.entries(e.data)
    .filter(([k, v]) => !NOISE.has(k) && v !== null && !isDetail(k, v))
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  return [e.occurredAt, e.type.padEnd(24), e.udid ?? '-', ...fields].join('  ').trimEnd();
}

/**
 * An event as a person reads it: the summary line, then each structured field (an answer, an error chain, a
 * check-in body) indented beneath it as JSON, with plist and base64 data decoded.
 */
export function eventBlock(e: EventRow): string {
  const details = Object.entries(e.data)
    .filter(([k, v]) => isDetail(k, v))
    .map(([k, v]) => `    ${k}: ${JSON.stringify(readableData(v, k), null, 2).replace(/\n/g, '\n    ')}`);
  return [eventLine(e), ...details].join('\n');
}

export type DeviceProfileRow = Pick<
  DeviceProfileView,
  'udid' | 'profileId' | 'identifier' | 'desiredVersion' | 'installedVersion' | 'status' | 'reason' | 'errorChain'
>;

export const DEVICE_PROFILE_COLUMNS: readonly Column<DeviceProfileRow>[] = [
  { header: 'PROFILE', value: (p) => p.identifier },
  { header: 'STATUS', value: (p) => p.status },
  { header: 'WANTED', value: (p) => p.desiredVersion },
  { header: 'INSTALLED', value: (p) => p.installedVersion },
  { header: 'DETAIL', value: (p) => deliveryDetail({ statusReason: p.reason, errorChain: p.errorChain }) },
];
