import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKeySecret } from '@mdm/contracts';

/** Random bytes in a secret: 256 bits, so its SHA-256 needs no salt or slow hash to be safe to store. */
const SECRET_BYTES = 32;
const PREFIX = 'mdm_';
const ID_LENGTH = 36;

/** A new secret for the key `id`: `mdm_<id>_<43 base64url characters>`. */
export function newApiKeySecret(id: string): string {
  return `${PREFIX}${id}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** What is stored instead of the secret. */
export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The key id a secret names, or null when it isn't shaped like one of ours. */
export function apiKeyIdOf(secret: string): string | null {
  return ApiKeySecret.safeParse(secret).success ? secret.slice(PREFIX.length, PREFIX.length + ID_LENGTH) : null;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function apiKeySecretMatches(secret: string, storedHash: Buffer): boolean {
  const presented = hashApiKeySecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}
