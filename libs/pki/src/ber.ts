import { PkiError } from './errors';

/**
 * Just enough BER to walk CMS without an object model: Apple devices and `openssl -stream` write
 * indefinite lengths and segmented (constructed) OCTET STRINGs; certificates inside are DER.
 */
export interface Tlv {
  tag: number;
  /** offset of the tag octet */
  offset: number;
  constructed: boolean;
  /** offset of the contents */
  start: number;
  /** end of the contents (before the end-of-contents octets when indefinite) */
  end: number;
  /** offset after the whole element */
  next: number;
  /** true for the indefinite-length form (contents end with two zero octets) */
  indefinite: boolean;
}

/** Maximum nesting: deeper input is refused, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 32;

/** The element at `offset`; throws PkiError 'malformed' on anything truncated or out of bounds. */
export function readTlv(buf: Buffer, offset: number, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new PkiError('BER nesting too deep', 'malformed');
  if (offset + 2 > buf.length) throw new PkiError('BER element truncated', 'malformed');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new PkiError('BER high tag numbers are not expected here', 'malformed');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++];
  if (first === 0x80) {
    if (!constructed) throw new PkiError('indefinite length on a primitive BER element', 'malformed');
    const start = pos;
    while (true) {
      if (pos + 2 > buf.length) throw new PkiError('BER element truncated (no end-of-contents)', 'malformed');
      if (buf[pos] === 0 && buf[pos + 1] === 0) return { tag, offset, constructed, start, end: pos, next: pos + 2, indefinite: true };
      pos = readTlv(buf, pos, depth + 1).next;
    }
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4 || pos + count > buf.length) throw new PkiError('BER length too large', 'malformed');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++];
  }
  if (pos + length > buf.length) throw new PkiError('BER element truncated', 'malformed');
  return { tag, offset, constructed, start: pos, end: pos + length, next: pos + length, indefinite: false };
}

/** The value of an OCTET STRING element (tag 0x04 or 0x24), joining the segments of a constructed one. */
export function octetStringValue(element: Buffer): Buffer {
  const tlv = readTlv(element, 0);
  if ((tlv.tag & 0xdf) !== 0x04) throw new PkiError('expected an OCTET STRING', 'malformed');
  return collect(element, tlv, 0);
}

/** The children of a constructed element, in order. */
export function childrenOf(buf: Buffer, tlv: Tlv, depth = 0): Tlv[] {
  if (!tlv.constructed) throw new PkiError(`BER element with tag 0x${tlv.tag.toString(16)} is not constructed`, 'malformed');
  const children: Tlv[] = [];
  for (let pos = tlv.start; pos < tlv.end; ) {
    const child = readTlv(buf, pos, depth + 1);
    children.push(child);
    pos = child.next;
  }
  return children;
}

/** The value of an OCTET STRING element already read, primitive or segmented. */
export function octetStringOf(buf: Buffer, tlv: Tlv, depth = 0): Buffer {
  if ((tlv.tag & 0xdf) !== 0x04 && (tlv.tag & 0xdf) !== 0x80) throw new PkiError('expected an OCTET STRING', 'malformed');
  return collect(buf, tlv, depth);
}

/**
 * The element with definite lengths only: the received bytes when every length in it is definite,
 * otherwise re-encoded (children in their order; SET ordering is the caller's concern).
 */
export function definiteLengthOf(buf: Buffer, tlv: Tlv, depth = 0): Buffer {
  return reencode(buf, tlv, depth).bytes;
}

function reencode(buf: Buffer, tlv: Tlv, depth: number): { bytes: Buffer; changed: boolean } {
  const whole = buf.subarray(tlv.offset, tlv.next);
  if (!tlv.constructed) return { bytes: whole, changed: false };
  const children = childrenOf(buf, tlv, depth).map((child) => reencode(buf, child, depth + 1));
  if (!tlv.indefinite && !children.some((c) => c.changed)) return { bytes: whole, changed: false };
  return { bytes: derElement(tlv.tag, Buffer.concat(children.map((c) => c.bytes))), changed: true };
}

function collect(buf: Buffer, tlv: Tlv, depth: number): Buffer {
  if (!tlv.constructed) return buf.subarray(tlv.start, tlv.end);
  const parts: Buffer[] = [];
  for (let pos = tlv.start; pos < tlv.end; ) {
    const child = readTlv(buf, pos, depth + 1);
    if ((child.tag & 0xdf) !== 0x04) throw new PkiError('constructed OCTET STRING holds a non-OCTET STRING', 'malformed');
    parts.push(collect(buf, child, depth + 1));
    pos = child.next;
  }
  return Buffer.concat(parts);
}

/** DER header + contents for a definite-length element. */
export function derElement(tag: number, contents: Buffer): Buffer {
  const n = contents.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, contents]);
}

export function derObjectIdentifier(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [];
  const push = (value: number) => {
    const chunk = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    body.push(...chunk);
  };
  push(arcs[0] * 40 + arcs[1]);
  arcs.slice(2).forEach(push);
  return derElement(0x06, Buffer.from(body));
}

/** DER SET OF: elements sorted by their encodings, as DER requires (and as signers hash signed attributes). */
export function derSetOf(elements: Buffer[]): Buffer {
  return derElement(0x31, Buffer.concat([...elements].sort(Buffer.compare)));
}

/** The dotted form of an OBJECT IDENTIFIER element already read. */
export function objectIdentifierOf(buf: Buffer, tlv: Tlv): string {
  if (tlv.tag !== 0x06 || tlv.end === tlv.start) throw new PkiError('expected an OBJECT IDENTIFIER', 'malformed');
  const arcs: number[] = [];
  let value = 0;
  for (let pos = tlv.start; pos < tlv.end; pos++) {
    const octet = buf[pos];
    value = value * 128 + (octet & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new PkiError('OBJECT IDENTIFIER arc too large', 'malformed');
    if (octet & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  if (buf[tlv.end - 1] & 0x80) throw new PkiError('OBJECT IDENTIFIER truncated', 'malformed');
  return arcs.join('.');
}
