import type { Element } from '@xmldom/xmldom';
import { ProtocolError } from './errors';
import { DEFAULT_PLIST_LIMITS, describeKind, isPlistDict, type PlistDict, type PlistLimits, type PlistValue } from './plist-value';
import { at, decode, elementChildren, parseXml, refuseDtdTricks, scanStructure, textOf } from './plist-xml';

/**
 * Parses an XML property list from an untrusted source (a device or an upload).
 * Throws only ProtocolError, whatever the input.
 */
export function parsePlist(input: Buffer | string, limits?: Partial<PlistLimits>): PlistValue {
  const l = resolveLimits(limits);
  try {
    const xml = decode(input, l);
    refuseDtdTricks(xml);
    scanStructure(xml, l);
    const root = parseXml(xml);
    if (root.tagName !== 'plist') {
      throw new ProtocolError(`not a plist: the root element is <${root.tagName}>, expected <plist>`);
    }
    const values = elementChildren(root, 'plist');
    if (values.length !== 1) {
      throw new ProtocolError(`malformed plist: <plist> must hold exactly one value, found ${values.length}`);
    }
    return readValue(values[0], '', 2, l.maxDepth);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    // Anything else (a RangeError from a pathological document, a parser bug) is still bad input
    // from the caller's point of view: never let it escape as a 500.
    throw new ProtocolError(`malformed plist: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Like parsePlist, but the top-level value must be a dict (every MDM message is one). */
export function parsePlistDict(input: Buffer | string, limits?: Partial<PlistLimits>): PlistDict {
  const value = parsePlist(input, limits);
  if (!isPlistDict(value)) {
    throw new ProtocolError(`the top-level plist value must be a dict, got ${describeKind(value)}`);
  }
  return value;
}

function resolveLimits(limits: Partial<PlistLimits> | undefined): PlistLimits {
  const l: PlistLimits = { ...DEFAULT_PLIST_LIMITS };
  for (const name of ['maxBytes', 'maxDepth', 'maxElements'] as const) {
    const value = limits?.[name];
    if (value === undefined) continue;
    // A caller's mistake, not bad input: a RangeError, so it is not answered as a 400.
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`PlistLimits.${name} must be a positive integer, got ${value}`);
    l[name] = value;
  }
  return l;
}
const INTEGER = /^[+-]?\d+$/;
const HEX_INTEGER = /^([+-]?)0x([0-9a-f]+)$/i;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Apple writes 2024-01-31T12:00:00Z; a fraction or an offset costs nothing to accept.
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function readValue(el: Element, path: string, depth: number, maxDepth: number): PlistValue {
  // The pre-scan already bounds depth; this keeps the walk safe even if the two ever disagree.
  if (depth > maxDepth) {
    throw new ProtocolError(`plist is nested too deeply: more than ${maxDepth} levels (maxDepth)`);
  }
  const tag = el.tagName;
  switch (tag) {
    case 'dict':
      return readDict(el, path, depth, maxDepth);
    case 'array':
      return elementChildren(el, path).map((child, i) => readValue(child, `${path}[${i}]`, depth + 1, maxDepth));
    case 'string':
      return textOf(el, path);
    case 'integer':
      return readInteger(el, path);
    case 'real':
      return readReal(el, path);
    case 'true':
    case 'false':
      if (elementChildren(el, path).length > 0) {
        throw new ProtocolError(`malformed plist: <${tag}> ${at(path)} must be empty`);
      }
      return tag === 'true';
    case 'date':
      return readDate(el, path);
    case 'data':
      return readData(el, path);
    default:
      throw new ProtocolError(`malformed plist: unknown element <${tag}> ${at(path)}`);
  }
}

/** Alternating <key>/value children; a key without a value, `__proto__` or a repeated key is refused. */
function readDict(el: Element, path: string, depth: number, maxDepth: number): PlistDict {
  const children = elementChildren(el, path);
  const dict: PlistDict = {};
  for (let i = 0; i < children.length; i += 2) {
    const keyEl = children[i];
    if (keyEl.tagName !== 'key') {
      throw new ProtocolError(`malformed plist: expected <key> in <dict> ${at(path)}, found <${keyEl.tagName}>`);
    }
    const key = textOf(keyEl, path);
    const keyPath = path === '' ? key : `${path}.${key}`;
    const valueEl = children[i + 1];
    if (valueEl === undefined) {
      throw new ProtocolError(`malformed plist: key "${key}" ${at(path)} has no value`, key);
    }
    if (key === '__proto__') {
      throw new ProtocolError(`malformed plist: key "__proto__" is not accepted`, key);
    }
    if (Object.prototype.hasOwnProperty.call(dict, key)) {
      throw new ProtocolError(`malformed plist: duplicate key "${key}" ${at(path)}`, key);
    }
    dict[key] = readValue(valueEl, keyPath, depth + 1, maxDepth);
  }
  return dict;
}

function readInteger(el: Element, path: string): number {
  const text = textOf(el, path).trim();
  if (INTEGER.test(text)) return Number(text);
  const hex = HEX_INTEGER.exec(text);
  if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt(hex[2], 16);
  throw new ProtocolError(`malformed plist: <integer> ${at(path)} is not an integer: "${clip(text)}"`);
}

function readReal(el: Element, path: string): number {
  const text = textOf(el, path).trim();
  if (!REAL.test(text)) {
    throw new ProtocolError(`malformed plist: <real> ${at(path)} is not a number: "${clip(text)}"`);
  }
  return Number(text);
}

function readDate(el: Element, path: string): Date {
  const text = textOf(el, path).trim();
  const date = new Date(text);
  if (!DATE.test(text) || Number.isNaN(date.getTime())) {
    throw new ProtocolError(`malformed plist: <date> ${at(path)} is not an ISO 8601 date: "${clip(text)}"`);
  }
  return date;
}

function readData(el: Element, path: string): Buffer {
  const text = textOf(el, path).replace(/\s+/g, '');
  if (!BASE64.test(text)) {
    throw new ProtocolError(`malformed plist: <data> ${at(path)} is not base64`);
  }
  return Buffer.from(text, 'base64');
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
