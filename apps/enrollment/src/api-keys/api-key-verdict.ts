import { API_KEY_SCOPES, type ApiKeyScope, type ApiKeyVerdict } from '@mdm/contracts';
import type { ApiKeyRecord } from '@mdm/persistence';
import { apiKeySecretMatches } from './api-key-secret';

/** `last_used_at` is rewritten at most this often per key: a timestamp, not a write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export type StoredApiKey = Pick<ApiKeyRecord, 'id' | 'scopes' | 'secretHash' | 'expiresAt' | 'revokedAt' | 'lastUsedAt'>;

/**
 * Judges a presented secret against the row its id names. A wrong secret for a real id is `unknown`,
 * like a missing row, so a caller can't learn which ids exist; revoked and expired are only told to
 * someone who holds the secret. `touch` says whether `last_used_at` is due for a refresh.
 */
export function judgeApiKey(row: StoredApiKey | null, secret: string, now: Date): { verdict: ApiKeyVerdict; touch: boolean } {
  if (!row || !apiKeySecretMatches(secret, row.secretHash)) return { verdict: { status: 'unknown' }, touch: false };
  if (row.revokedAt) return { verdict: { status: 'revoked' }, touch: false };
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return { verdict: { status: 'expired' }, touch: false };
  const touch = !row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS;
  return {
    verdict: { status: 'valid', id: row.id, scopes: normalizeScopes(row.scopes), expiresAt: row.expiresAt?.toISOString() ?? null },
    touch,
  };
}

/** Scopes without repeats, in the vocabulary's order; anything outside it (a hand-edited row) is dropped. */
export function normalizeScopes(scopes: readonly string[]): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => scopes.includes(s));
}
