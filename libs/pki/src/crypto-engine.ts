import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

let installed = false;

/** @peculiar/x509 keeps a global crypto provider; set it to node's webcrypto once instead of letting it guess. */
export function ensureCryptoEngine(): void {
  if (installed) return;
  x509.cryptoProvider.set(webcrypto);
  installed = true;
}

/** Copies the view so that ASN.1 code never sees bytes of a pooled Buffer beyond the view. */
export function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}
