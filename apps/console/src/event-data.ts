/**
 * The events page's pure helpers: the API's type filter applied to streamed events, and event data made
 * readable (base64 text such as a check-in's `rawPayload` decoded). No React, no DOM: unit-tested.
 */

/** Whether `type` matches a filter as `GET /v1/events?type=` takes it: `command.*,device.enrolled`. Empty matches all. */
export function matchesTypes(type: string, filter: string): boolean {
  const items = filter
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) return true;
  return items.some((item) => (item.endsWith('.*') ? type.startsWith(item.slice(0, -1)) : type === item));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Shorter strings are ids and words that merely look like base64. */
const MIN_BASE64_LENGTH = 24;

/** The text a base64 string holds, when it is base64 of printable UTF-8 (an XML plist, JSON); undefined otherwise. */
export function decodeBase64Text(value: string): string | undefined {
  if (value.length < MIN_BASE64_LENGTH || !BASE64.test(value)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // Control characters other than tab and newlines: binary (a certificate, a token), not text.
  return [...text].some((c) => c < ' ' && !'\t\n\r'.includes(c)) ? undefined : text;
}

/** A field of the data that held base64 text, with where it was. */
export interface DecodedField {
  path: string;
  text: string;
}

/** Every base64 text field of an event's data, at any depth (`rawPayload`, `result.Payload`). */
export function decodedFields(data: unknown, path = ''): DecodedField[] {
  if (typeof data === 'string') {
    const text = decodeBase64Text(data);
    return text === undefined ? [] : [{ path: path || '(value)', text }];
  }
  if (Array.isArray(data)) return data.flatMap((v, i) => decodedFields(v, `${path}[${i}]`));
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => decodedFields(v, path ? `${path}.${k}` : k));
  return [];
}

/** A one-line summary of an event's data for the collapsed row; a summarised event says how many devices it names. */
export function summarize(data: Record<string, unknown>): string {
  const parts = ['requestType', 'status', 'identifier', 'topic', 'outcome', 'reason'].map((k) => data[k]).filter((v): v is string => typeof v === 'string');
  const devices = data['devices'];
  if (Array.isArray(devices) && devices.length) parts.push(devicesOf(devices.map((d: { udid?: unknown }) => String(d?.udid))));
  return parts.length ? parts.join(' · ') : 'data';
}

/** UDIDs shown before "and N more" in a summarised event's line. */
const LISTED_UDIDS = 3;

function devicesOf(udids: string[]): string {
  if (udids.length === 1) return udids[0]!;
  const more = udids.length - LISTED_UDIDS;
  return `${udids.length} devices: ${udids.slice(0, LISTED_UDIDS).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
