import { parsePlist, plistToJson } from '@mdm/protocol';

/** The devices of a summarised event (`command.queued.v2`, `command.sent.v2`) printed before "... N more". */
const LISTED_DEVICES = 10;

/**
 * Event data as a person reads it: plist data (`{"$data": base64}`) and base64 check-in bodies (`rawPayload`)
 * decoded into JSON when they hold a plist, into text when they hold text, and dates (`{"$date": ISO}`) as
 * plain strings. Only for display: `--json` prints the API's answer untouched.
 */
export function readableData(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key === 'rawPayload' ? readableBytes(Buffer.from(value, 'base64')) : value;
  if (key === 'devices' && Array.isArray(value)) return listedDevices(value);
  if (Array.isArray(value)) return value.map((v) => readableData(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [[k, v]] = entries as [[string, unknown]];
    if (k === '$data' && typeof v === 'string') return readableBytes(Buffer.from(v, 'base64'));
    if (k === '$date' && typeof v === 'string') return v;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, readableData(v, k)]));
}

/** A summarised event's devices by UDID (one per line), the first `LISTED_DEVICES` and how many more. */
function listedDevices(devices: unknown[]): unknown[] {
  const udids = devices.map((d) => (d !== null && typeof d === 'object' && 'udid' in d ? d.udid : d));
  return udids.length > LISTED_DEVICES ? [...udids.slice(0, LISTED_DEVICES), `... ${udids.length - LISTED_DEVICES} more`] : udids;
}

const PLIST_START = /^\s*(<\?xml|<!DOCTYPE plist|<plist)/;

/** A plist as JSON, UTF-8 text as text, anything else as its size and first bytes in hex. */
export function readableBytes(bytes: Buffer): unknown {
  const head = bytes.subarray(0, 64).toString('latin1');
  if (head.startsWith('bplist00') || PLIST_START.test(head)) {
    try {
      return readableData(plistToJson(parsePlist(bytes)));
    } catch {
      /* not a plist after all: shown as bytes */
    }
  }
  const text = bytes.toString('utf8');
  // Printable text round-trips through UTF-8 and has no control characters but line breaks and tabs.
  if (Buffer.from(text, 'utf8').equals(bytes) && ![...text].some(isControl)) return text;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `<${bytes.length} bytes: ${hex}${bytes.length > 16 ? '...' : ''}>`;
}

const isControl = (ch: string): boolean => {
  const code = ch.charCodeAt(0);
  return (code < 32 && ch !== '\n' && ch !== '\r' && ch !== '\t') || code === 127;
};
