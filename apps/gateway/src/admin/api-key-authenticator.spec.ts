import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyVerdict } from '@mdm/contracts';
import { ApiKeyAuthenticator, VERDICT_TTL_MS } from './api-key-authenticator';

const BOOTSTRAP = 'bootstrap-key-of-the-test-0123456789';
const secretFor = (id: string): string => `mdm_${id}_${randomBytes(32).toString('base64url')}`;

/** An authenticator over a scripted owner and a hand-moved clock. */
function setUp(answer: (secret: string) => ApiKeyVerdict | Promise<ApiKeyVerdict>) {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const asked: string[] = [];
  const auth = new ApiKeyAuthenticator(BOOTSTRAP, async (secret) => {
    asked.push(secret);
    return answer(secret);
  }, () => now);
  return { auth, asked, advance: (ms: number) => (now += ms), now: () => now };
}

describe('ApiKeyAuthenticator', () => {
  const id = randomUUID();
  const secret = secretFor(id);
  const valid: ApiKeyVerdict = { status: 'valid', id, scopes: ['read'], expiresAt: null };

  it('takes MDM_API_KEY as a key with every scope, without asking the owner', async () => {
    const { auth, asked } = setUp(() => valid);
    expect(await auth.authenticate(BOOTSTRAP)).toEqual({ ok: true, principal: { keyId: null, scopes: ['read', 'commands', 'profiles', 'admin'] } });
    expect(asked).toEqual([]);
  });

  it('refuses a token not shaped like a key without asking the owner', async () => {
    const { auth, asked } = setUp(() => valid);
    expect(await auth.authenticate('not-the-key-at-all')).toEqual({ ok: false, reason: 'unknown API key' });
    expect(await auth.authenticate(`${BOOTSTRAP}x`)).toEqual({ ok: false, reason: 'unknown API key' });
    expect(asked).toEqual([]);
  });

  it('says why the owner refused a key', async () => {
    for (const status of ['unknown', 'revoked', 'expired'] as const) {
      const { auth } = setUp(() => ({ status }));
      expect(await auth.authenticate(secret)).toEqual({ ok: false, reason: status === 'unknown' ? 'unknown API key' : `API key ${status}` });
    }
  });

  it('asks the owner once per few seconds per key, and once for concurrent requests', async () => {
    const { auth, asked, advance } = setUp(() => valid);
    const results = await Promise.all([auth.authenticate(secret), auth.authenticate(secret), auth.authenticate(secret)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(asked).toHaveLength(1);
    advance(VERDICT_TTL_MS - 1);
    await auth.authenticate(secret);
    expect(asked).toHaveLength(1);
    advance(1);
    expect(await auth.authenticate(secret)).toEqual({ ok: true, principal: { keyId: id, scopes: ['read'] } });
    expect(asked).toHaveLength(2);
  });

  it('remembers each secret apart: another secret for the same id is asked about', async () => {
    const { auth, asked } = setUp((s) => (s === secret ? valid : { status: 'unknown' }));
    expect((await auth.authenticate(secret)).ok).toBe(true);
    expect(await auth.authenticate(secretFor(id))).toEqual({ ok: false, reason: 'unknown API key' });
    expect(asked).toHaveLength(2);
  });

  it('does not let a remembered verdict outlive the key expiry', async () => {
    const { auth, advance, now } = setUp(() => ({ ...valid, expiresAt: new Date(now() + 1000).toISOString() }));
    expect((await auth.authenticate(secret)).ok).toBe(true);
    advance(1000);
    expect(await auth.authenticate(secret)).toEqual({ ok: false, reason: 'API key expired' });
  });

  it('forgets a revoked key at once', async () => {
    let revoked = false;
    const { auth, asked } = setUp(() => (revoked ? { status: 'revoked' } : valid));
    expect((await auth.authenticate(secret)).ok).toBe(true);
    revoked = true;
    expect((await auth.authenticate(secret)).ok).toBe(true);
    auth.forget(id);
    expect(await auth.authenticate(secret)).toEqual({ ok: false, reason: 'API key revoked' });
    expect(asked).toHaveLength(2);
  });

  it('does not remember a failed lookup', async () => {
    let down = true;
    const { auth, asked } = setUp(() => {
      if (down) throw new Error('enrollment service unavailable');
      return valid;
    });
    await expect(auth.authenticate(secret)).rejects.toThrow('unavailable');
    down = false;
    expect((await auth.authenticate(secret)).ok).toBe(true);
    expect(asked).toHaveLength(2);
  });
});
