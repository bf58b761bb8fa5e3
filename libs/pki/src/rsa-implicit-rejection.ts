import { constants, KeyObject, privateDecrypt, randomBytes } from 'node:crypto';

/**
 * RSAES-PKCS1-v1_5 decryption of a content-encryption key with implicit rejection (RFC 3218 section 2.3.2):
 * bad padding or a wrong length yields a random key, so the failure shows up exactly like a wrong key and
 * the endpoint is no Bleichenbacher oracle against the key. Node 20 refuses PKCS#1 v1.5 private decryption
 * for that reason, so the padding is checked here without data-dependent branches.
 */
export function rsaPkcs1DecryptImplicit(key: KeyObject, encrypted: Buffer, keyLength: number): Buffer {
  const fallback = randomBytes(keyLength);
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  let em: Buffer;
  try {
    em = encrypted.length === k ? privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encrypted) : Buffer.alloc(k);
  } catch {
    em = Buffer.alloc(k);
  }
  if (em.length !== k || k < keyLength + 11) return fallback;
  const isZero = (b: number) => ((b - 1) >>> 31) & 1;
  const equals = (a: number, b: number) => isZero(a ^ b);
  let good = isZero(em[0]) & equals(em[1], 2);
  let found = 0;
  let separator = 0;
  for (let i = 2; i < k; i++) {
    const zero = isZero(em[i]);
    const first = zero & (found ^ 1);
    separator |= i * first;
    found |= zero;
  }
  good &= found;
  // At least 8 bytes of padding, then exactly the key length the content cipher needs.
  good &= ((9 - separator) >>> 31) & 1;
  good &= equals(k - separator - 1, keyLength);
  const mask = -good & 0xff;
  const out = Buffer.alloc(keyLength);
  for (let j = 0; j < keyLength; j++) out[j] = (em[k - keyLength + j] & mask) | (fallback[j] & ~mask);
  return out;
}
