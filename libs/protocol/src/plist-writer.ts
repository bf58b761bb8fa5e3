import { ProtocolError } from './errors';
import type { PlistValue } from './plist-value';

const PLIST_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

/**
 * Serialises a value as an Apple XML plist. Throws ProtocolError (naming the path) for what a
 * plist cannot carry: non-finite numbers, invalid dates, characters XML 1.0 forbids, cycles, or
 * anything outside PlistValue smuggled in by a loosely typed caller.
 */
export function buildPlist(value: PlistValue): string {
  const lines: string[] = [];
  writeValue(value, '', 0, lines, new Set());
  return `${PLIST_HEADER}${lines.join('\n')}\n</plist>\n`;
}

// XML 1.0 cannot carry these at all, not even as character references; a device would reject
// the whole document.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Characters an XML parser rewrites to "\n" when they appear literally in text. */
const LINE_END_NORMALISED = /[\r\u0085\u2028\u2029]/g;

function escapeText(text: string, path: string): string {
  if (XML_FORBIDDEN.test(text)) {
    throw new ProtocolError(`cannot build plist: ${path || 'value'} contains a character XML cannot carry`, path);
  }
  // A literal CR (and NEL, LS, PS, which xmldom normalises too) would reach the reader as "\n": XML
  // parsers normalise line ends in text but not in character references, so those go as references.
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(LINE_END_NORMALISED, (c) => `&#${c.charCodeAt(0)};`);
}

function writeValue(value: unknown, path: string, indent: number, lines: string[], ancestors: Set<object>): void {
  const pad = '\t'.repeat(indent);
  const where = path || 'value';
  if (typeof value === 'string') {
    lines.push(`${pad}<string>${escapeText(value, path)}</string>`);
  } else if (typeof value === 'boolean') {
    lines.push(`${pad}<${value}/>`);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ProtocolError(`cannot build plist: ${where} is ${value}, which a plist cannot carry`, path);
    }
    // BigInt keeps large integers out of exponent notation (1e+21), which <integer> cannot hold.
    lines.push(Number.isInteger(value) ? `${pad}<integer>${BigInt(value)}</integer>` : `${pad}<real>${value}</real>`);
  } else if (Buffer.isBuffer(value)) {
    lines.push(`${pad}<data>${value.toString('base64')}</data>`);
  } else if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new ProtocolError(`cannot build plist: ${where} is an invalid date`, path);
    }
    lines.push(`${pad}<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
  } else if (typeof value === 'object' && value !== null) {
    if (ancestors.has(value)) {
      throw new ProtocolError(`cannot build plist: ${where} refers back to itself`, path);
    }
    ancestors.add(value);
    if (Array.isArray(value)) {
      if (value.length === 0) {
        lines.push(`${pad}<array/>`);
      } else {
        lines.push(`${pad}<array>`);
        value.forEach((item, i) => writeValue(item, `${path}[${i}]`, indent + 1, lines, ancestors));
        lines.push(`${pad}</array>`);
      }
    } else {
      const entries = Object.entries(value);
      if (entries.length === 0) {
        lines.push(`${pad}<dict/>`);
      } else {
        lines.push(`${pad}<dict>`);
        for (const [key, item] of entries) {
          const keyPath = path === '' ? key : `${path}.${key}`;
          lines.push(`${pad}\t<key>${escapeText(key, keyPath)}</key>`);
          writeValue(item, keyPath, indent + 1, lines, ancestors);
        }
        lines.push(`${pad}</dict>`);
      }
    }
    ancestors.delete(value);
  } else {
    throw new ProtocolError(`cannot build plist: ${where} is ${value === null ? 'null' : typeof value}`, path);
  }
}
