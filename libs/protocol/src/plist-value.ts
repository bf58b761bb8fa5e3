/** What a plist can hold, as parsePlist returns it and buildPlist takes it. */
export type PlistValue = string | number | boolean | Date | Buffer | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

/**
 * Bounds on what one untrusted document may cost. Refusals name the limit (`maxDepth` ...) so a
 * caller that meets a legitimate document over a bound knows which option to raise.
 */
export interface PlistLimits {
  /** Size of the body in bytes (UTF-8). */
  maxBytes: number;
  /** Nesting of XML elements, <plist> included. */
  maxDepth: number;
  /** XML elements in the whole document. */
  maxElements: number;
}

/**
 * maxBytes matches the gateway's default body limit (MDM_MAX_BODY_BYTES), so whatever the edge lets
 * through is not refused again for size. maxElements leaves room for the largest real answers (an
 * InstalledApplicationList of 1,000 apps is about 30,000 elements) while a DOM of 100,000 nodes
 * stays a few tens of MB. No Apple message nests deeper than a dozen levels.
 */
export const DEFAULT_PLIST_LIMITS: Readonly<PlistLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 32,
  maxElements: 100_000,
});

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    !(value instanceof Date)
  );
}

export function describeKind(value: PlistValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return 'data';
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a dict';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a real';
  return `a ${typeof value}`;
}
