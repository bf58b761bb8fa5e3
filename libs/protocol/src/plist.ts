// The `plist` package (v5) is ESM-only with no `require` export, so this CommonJS project cannot
// load it (ERR_PACKAGE_PATH_NOT_EXPORTED), and it also returns Uint8Array for <data>, maps <null>,
// accepts binary and OpenStep plists and turns "abc" into NaN for <integer>. We walk the DOM of
// @xmldom/xmldom (the parser plist uses) ourselves instead, so every rule below is ours.
import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';
import { ProtocolError } from './errors';

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

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true });

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

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    !(value instanceof Date)
  );
}

function decode(input: Buffer | string, l: PlistLimits): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > l.maxBytes) {
    throw new ProtocolError(`plist too large: ${size} bytes, the limit is ${l.maxBytes} (maxBytes)`);
  }
  const head = typeof input === 'string' ? input.slice(0, 6) : input.subarray(0, 6).toString('latin1');
  if (head === 'bplist') {
    throw new ProtocolError('binary plists are not accepted; send XML (the body starts with "bplist")');
  }
  let xml: string;
  if (typeof input === 'string') {
    xml = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    try {
      xml = utf8.decode(input);
    } catch {
      throw new ProtocolError('plist is not valid UTF-8');
    }
  }
  if (xml.trim() === '') {
    throw new ProtocolError('empty body: expected an XML plist');
  }
  return xml;
}

/**
 * Entity declarations are how "billion laughs" and XXE attacks start; plists never need them.
 * Apple's own DOCTYPE line (an external id, no internal subset) is harmless, as xmldom never
 * fetches external DTDs.
 */
function refuseDtdTricks(xml: string): void {
  if (/<!ENTITY/i.test(xml)) {
    throw new ProtocolError('XML entity declarations (<!ENTITY) are not accepted');
  }
  const doctype = /<!DOCTYPE/gi;
  for (let m = doctype.exec(xml); m !== null; m = doctype.exec(xml)) {
    let quote = '';
    let i = m.index + m[0].length;
    for (; i < xml.length; i++) {
      const c = xml[i];
      if (quote !== '') {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '[') {
        throw new ProtocolError('a DOCTYPE with an internal subset is not accepted');
      } else if (c === '>') {
        break;
      }
    }
    // Go on from where this declaration ended: rescanning from the next "<!DOCTYPE" inside it made
    // a body of unterminated declarations cost quadratic time (450 KB took 85 s; fuzzing found it).
    doctype.lastIndex = Math.max(doctype.lastIndex, i);
  }
}

/**
 * Counts elements and nesting with indexOf alone, before any DOM is built, so a hostile body
 * costs us a linear scan rather than a tree of a million nodes. Comments, CDATA, processing
 * instructions and declarations are skipped so their contents cannot inflate the counts.
 */
function scanStructure(xml: string, l: PlistLimits): void {
  let depth = 0;
  let elements = 0;
  let i = 0;
  for (;;) {
    const lt = xml.indexOf('<', i);
    refuseBareAmpersand(lt < 0 ? xml.slice(i) : xml.slice(i, lt));
    if (lt < 0) return;
    const skipTo = (prefix: string, terminator: string): number | undefined => {
      if (!xml.startsWith(prefix, lt)) return undefined;
      const end = xml.indexOf(terminator, lt + prefix.length);
      if (end < 0) throw new ProtocolError(`malformed XML: unterminated ${prefix}`);
      return end + terminator.length;
    };
    const skipped = skipTo('<!--', '-->') ?? skipTo('<![CDATA[', ']]>') ?? skipTo('<?', '?>') ?? skipTo('<!', '>');
    if (skipped !== undefined) {
      i = skipped;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new ProtocolError('malformed XML: unterminated tag');
    if (xml[lt + 1] === '/') {
      depth--;
    } else {
      elements++;
      if (elements > l.maxElements) {
        throw new ProtocolError(`plist has too many elements: more than ${l.maxElements} (maxElements)`);
      }
      if (xml[gt - 1] !== '/') {
        depth++;
        if (depth > l.maxDepth) {
          throw new ProtocolError(`plist is nested too deeply: more than ${l.maxDepth} levels (maxDepth)`);
        }
      }
    }
    i = gt + 1;
  }
}

// xmldom keeps a stray "&" as text; XML (and Apple's parser) would refuse it.
const BARE_AMPERSAND = /&(?![A-Za-z_][\w.-]*;|#\d+;|#x[0-9A-Fa-f]+;)/;

function refuseBareAmpersand(text: string): void {
  if (BARE_AMPERSAND.test(text)) {
    throw new ProtocolError('malformed XML: "&" must start an entity or character reference');
  }
}

function parseXml(xml: string): Element {
  // xmldom reports most well-formedness problems (mismatched or unclosed tags, trailing garbage,
  // unknown entities) as warnings or errors and carries on with a repaired tree; throwing from
  // onError turns every one of them into a refusal.
  let reported: ProtocolError | undefined;
  const parser = new DOMParser({
    onError: (level, message) => {
      // U+FFFD is a legitimate character (a device name can hold one); xmldom warns about it as a
      // sign of a decoding problem, but the body was already strictly decoded as UTF-8 above.
      if (level === 'warning' && /Unicode replacement character/.test(message)) return;
      reported = new ProtocolError(`malformed XML: ${message.split('\n')[0]} (xmldom ${level})`);
      throw reported;
    },
  });
  let doc;
  try {
    doc = parser.parseFromString(xml, 'text/xml');
  } catch (err) {
    // xmldom wraps what onError throws in its own ParseError, without the cause: rethrow ours.
    if (reported !== undefined) throw reported;
    throw new ProtocolError(`malformed XML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const root = doc.documentElement;
  if (root === null) throw new ProtocolError('malformed XML: no root element');
  return root;
}

function at(path: string): string {
  return path === '' ? 'at the top level' : `at ${path}`;
}

function elementChildren(el: Element, path: string): Element[] {
  const out: Element[] = [];
  for (const node of childNodes(el)) {
    if (node.nodeType === ELEMENT_NODE) {
      out.push(node as Element);
    } else if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) {
      if ((node.nodeValue ?? '').trim() !== '') {
        throw new ProtocolError(`malformed plist: unexpected text inside <${el.tagName}> ${at(path)}`);
      }
    } else if (node.nodeType !== COMMENT_NODE && node.nodeType !== PROCESSING_INSTRUCTION_NODE) {
      throw new ProtocolError(`malformed plist: unexpected ${node.nodeName} inside <${el.tagName}> ${at(path)}`);
    }
  }
  return out;
}

function textOf(el: Element, path: string): string {
  let text = '';
  for (const node of childNodes(el)) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) {
      text += node.nodeValue ?? '';
    } else if (node.nodeType === ELEMENT_NODE) {
      throw new ProtocolError(`malformed plist: <${el.tagName}> ${at(path)} must hold text, not elements`);
    }
  }
  return text;
}

function* childNodes(el: Element): Generator<Node> {
  const list = el.childNodes;
  for (let i = 0; i < list.length; i++) {
    const node = list.item(i);
    if (node !== null) yield node;
  }
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
    case 'dict': {
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
    case 'array':
      return elementChildren(el, path).map((child, i) => readValue(child, `${path}[${i}]`, depth + 1, maxDepth));
    case 'string':
      return textOf(el, path);
    case 'integer': {
      const text = textOf(el, path).trim();
      if (INTEGER.test(text)) return Number(text);
      const hex = HEX_INTEGER.exec(text);
      if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt(hex[2], 16);
      throw new ProtocolError(`malformed plist: <integer> ${at(path)} is not an integer: "${clip(text)}"`);
    }
    case 'real': {
      const text = textOf(el, path).trim();
      if (!REAL.test(text)) {
        throw new ProtocolError(`malformed plist: <real> ${at(path)} is not a number: "${clip(text)}"`);
      }
      return Number(text);
    }
    case 'true':
    case 'false':
      if (elementChildren(el, path).length > 0) {
        throw new ProtocolError(`malformed plist: <${tag}> ${at(path)} must be empty`);
      }
      return tag === 'true';
    case 'date': {
      const text = textOf(el, path).trim();
      const date = new Date(text);
      if (!DATE.test(text) || Number.isNaN(date.getTime())) {
        throw new ProtocolError(`malformed plist: <date> ${at(path)} is not an ISO 8601 date: "${clip(text)}"`);
      }
      return date;
    }
    case 'data': {
      const text = textOf(el, path).replace(/\s+/g, '');
      if (!BASE64.test(text)) {
        throw new ProtocolError(`malformed plist: <data> ${at(path)} is not base64`);
      }
      return Buffer.from(text, 'base64');
    }
    default:
      throw new ProtocolError(`malformed plist: unknown element <${tag}> ${at(path)}`);
  }
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
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
