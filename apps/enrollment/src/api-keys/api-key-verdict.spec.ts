import { randomUUID } from 'node:crypto';
import { ApiKeySecret } from '@mdm/contracts';
import { apiKeyIdOf, apiKeySecretMatches, hashApiKeySecret, newApiKeySecret } from './api-key-secret';
import { judgeApiKey, LAST_USED_RESOLUTION_MS, normalizeScopes, type StoredApiKey } from './api-key-verdict';

describe('API key secrets', () => {
  const id = randomUUID();

  it('are mdm_<id>_<32 random bytes in base64url>, never twice the same', () => {
    const a = newApiKeySecret(id);
    const b = newApiKeySecret(id);
    expect(a).toMatch(new RegExp(`^mdm_${id}_[A-Za-z0-9_-]{43}$`));
    expect(Buffer.from(a.slice(-43), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(ApiKeySecret.safeParse(a).success).toBe(true);
    expect(apiKeyIdOf(a)).toBe(id);
  });

  it('name no id when they are not shaped like a key', () => {
    expect(apiKeyIdOf('mdm_not-a-uuid_' + 'A'.repeat(43))).toBeNull();
    expect(apiKeyIdOf(`mdm_${id}_short`)).toBeNull();
    expect(apiKeyIdOf(`xyz_${id}_${'A'.repeat(43)}`)).toBeNull();
  });

  it('are stored as their SHA-256 and matched only by the same secret', () => {
    const secret = newApiKeySecret(id);
    const hash = hashApiKeySecret(secret);
    expect(hash).toHaveLength(32);
    expect(hash.toString('latin1')).not.toContain(secret.slice(-43));
    expect(apiKeySecretMatches(secret, hash)).toBe(true);
    expect(apiKeySecretMatches(newApiKeySecret(id), hash)).toBe(false);
    expect(apiKeySecretMatches(secret, hash.subarray(0, 16))).toBe(false);
  });
});

describe('judgeApiKey', () => {
  const id = randomUUID();
  const secret = newApiKeySecret(id);
  const now = new Date('2030-06-01T12:00:00Z');
  const row = (over: Partial<StoredApiKey> = {}): StoredApiKey => ({
    id,
    scopes: ['commands', 'read'],
    secretHash: hashApiKeySecret(secret),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...over,
  });

  it('accepts a live key with its scopes and asks for last_used_at on first use', () => {
    expect(judgeApiKey(row(), secret, now)).toEqual({ verdict: { status: 'valid', id, scopes: ['read', 'commands'], expiresAt: null }, touch: true });
  });

  it('refreshes last_used_at at most once a minute', () => {
    const recently = new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1);
    expect(judgeApiKey(row({ lastUsedAt: recently }), secret, now).touch).toBe(false);
    const aMinuteAgo = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    expect(judgeApiKey(row({ lastUsedAt: aMinuteAgo }), secret, now).touch).toBe(true);
  });

  it('calls a missing row and a wrong secret alike unknown, even for a revoked key', () => {
    expect(judgeApiKey(null, secret, now)).toEqual({ verdict: { status: 'unknown' }, touch: false });
    expect(judgeApiKey(row(), newApiKeySecret(id), now).verdict).toEqual({ status: 'unknown' });
    expect(judgeApiKey(row({ revokedAt: now }), newApiKeySecret(id), now).verdict).toEqual({ status: 'unknown' });
  });

  it('tells the holder of the secret that the key is revoked or expired', () => {
    expect(judgeApiKey(row({ revokedAt: new Date(now.getTime() - 1) }), secret, now)).toEqual({ verdict: { status: 'revoked' }, touch: false });
    expect(judgeApiKey(row({ expiresAt: now }), secret, now)).toEqual({ verdict: { status: 'expired' }, touch: false });
    const later = new Date(now.getTime() + 1000);
    expect(judgeApiKey(row({ expiresAt: later }), secret, now).verdict).toMatchObject({ status: 'valid', expiresAt: later.toISOString() });
  });

  it('keeps only known scopes, once each, in a fixed order', () => {
    expect(normalizeScopes(['admin', 'read', 'read', 'bogus'])).toEqual(['read', 'admin']);
  });
});
