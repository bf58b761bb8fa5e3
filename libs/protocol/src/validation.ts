// Internal (not exported from index.ts): shared zod building blocks whose error messages read
// as plist vocabulary, and the translation of a zod failure into one ProtocolError.
import { z } from 'zod';
import { ProtocolError } from './errors';
import type { PlistDict, PlistValue } from './plist-value';

export const plistString = () => z.string({ error: 'must be a string' });
export const plistData = () => z.instanceof(Buffer, { error: 'must be data' });
export const plistBoolean = () => z.boolean({ error: 'must be a boolean' });
export const plistInteger = () => z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' });
export const plistDict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.looseObject(shape, { error: 'must be a dict' });

/**
 * Turns the first zod issue into `<context>: missing required key "X"` or
 * `<context>: key "X" must be data`, telling the two apart by looking at the input itself
 * (zod reports both as invalid_type).
 */
export function toProtocolError(context: string, error: z.ZodError, input: PlistDict): ProtocolError {
  const issue = error.issues[0];
  const path = issue.path.map(String);
  const key = path.join('.');
  if (path.length > 0 && valueAt(input, path) === undefined) {
    return new ProtocolError(`${context}: missing required key "${key}"`, key);
  }
  return new ProtocolError(`${context}: key "${key}" ${issue.message}`, key);
}

function valueAt(dict: PlistDict, path: string[]): PlistValue | undefined {
  let current: PlistValue | undefined = dict;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Buffer.isBuffer(current) || current instanceof Date) {
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = Array.isArray(current) ? current[Number(segment)] : current[segment];
  }
  return current;
}
