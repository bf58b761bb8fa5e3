// The `plist` package (v5) is ESM-only with no `require` export, so this CommonJS project cannot
// load it (ERR_PACKAGE_PATH_NOT_EXPORTED), and it also returns Uint8Array for <data>, maps <null>,
// accepts binary and OpenStep plists and turns "abc" into NaN for <integer>. We walk the DOM of
// @xmldom/xmldom (the parser plist uses) ourselves instead, so every rule below is ours.
import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';
import { ProtocolError } from './errors';
import type { PlistLimits } from './plist-value';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decode(input: Buffer | string, l: PlistLimits): string {
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
export function refuseDtdTricks(xml: string): void {
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
export function scanStructure(xml: string, l: PlistLimits): void {
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

export function parseXml(xml: string): Element {
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

export function at(path: string): string {
  return path === '' ? 'at the top level' : `at ${path}`;
}

export function elementChildren(el: Element, path: string): Element[] {
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

export function textOf(el: Element, path: string): string {
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
