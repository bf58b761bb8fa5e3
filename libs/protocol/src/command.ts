import { ProtocolError } from './errors';
import { buildPlist } from './plist-writer';
import type { PlistDict, PlistValue } from './plist-value';

export interface CommandPayload {
  RequestType: string;
  [key: string]: PlistValue;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The body the server answers a device with: `{ CommandUUID, Command: { RequestType, ... } }`. */
export function buildCommandPlist(commandUuid: string, command: CommandPayload): string {
  if (typeof commandUuid !== 'string' || commandUuid === '') {
    throw new ProtocolError('command: CommandUUID must be a non-empty string', 'CommandUUID');
  }
  if (typeof command.RequestType !== 'string' || command.RequestType === '') {
    throw new ProtocolError('command: RequestType must be a non-empty string', 'RequestType');
  }
  return buildPlist({ CommandUUID: commandUuid, Command: command });
}

// JSON has no bytes or dates; these one-key wrappers let operators write them in the admin API.
const DATA_KEY = '$data';
const DATE_KEY = '$date';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Converts JSON from the admin API into a plist value. `{ "$data": "<base64>" }` becomes data
 * and `{ "$date": "<ISO 8601>" }` a date. Throws ProtocolError naming the JSON path (e.g.
 * `command.Queries[2]`) for null, non-finite numbers, bad base64 or dates, and anything that is
 * not JSON.
 */
export function jsonToPlistValue(value: unknown, path = 'command'): PlistValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ProtocolError(`${path} must be a finite number`, path);
      }
      return value;
    case 'object': {
      if (value === null) {
        throw new ProtocolError(`${path} must not be null: plists have no null`, path);
      }
      if (Array.isArray(value)) {
        return value.map((item: unknown, i) => jsonToPlistValue(item, `${path}[${i}]`));
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.includes(DATA_KEY) || keys.includes(DATE_KEY)) {
        return wrapped(record, keys, path);
      }
      const dict: PlistDict = {};
      for (const key of keys) {
        // JSON.parse makes "__proto__" an own key; assigning it here would swap the prototype.
        if (key === '__proto__') {
          throw new ProtocolError(`${path}: key "__proto__" is not accepted`, `${path}.${key}`);
        }
        dict[key] = jsonToPlistValue(record[key], `${path}.${key}`);
      }
      return dict;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new ProtocolError(`${path} must be a JSON value, got ${typeof value}`, path);
  }
}

function wrapped(record: Record<string, unknown>, keys: string[], path: string): Buffer | Date {
  if (keys.length !== 1) {
    throw new ProtocolError(`${path}: an object with "${DATA_KEY}" or "${DATE_KEY}" must have no other keys`, path);
  }
  const [key] = keys;
  const text = record[key];
  if (key === DATA_KEY) {
    if (typeof text !== 'string' || !STRICT_BASE64.test(text)) {
      throw new ProtocolError(`${path}.${DATA_KEY} must be a base64 string`, path);
    }
    return Buffer.from(text, 'base64');
  }
  const date = typeof text === 'string' && ISO_DATE.test(text) ? new Date(text) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new ProtocolError(`${path}.${DATE_KEY} must be an ISO 8601 date-time string`, path);
  }
  return date;
}

/**
 * The reverse of jsonToPlistValue, so query responses can be stored and served as JSON.
 * A device dict whose only key is literally "$data" or "$date" would read back as data or a
 * date; no Apple response has such a key.
 */
export function plistToJson(value: PlistValue): JsonValue {
  if (Buffer.isBuffer(value)) return { [DATA_KEY]: value.toString('base64') };
  if (value instanceof Date) return { [DATE_KEY]: value.toISOString() };
  if (Array.isArray(value)) return value.map(plistToJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) out[key] = plistToJson(item);
    return out;
  }
  return value;
}
