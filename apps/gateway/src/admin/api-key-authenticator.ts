import { createHash, timingSafeEqual } from 'node:crypto';
import { API_KEY_SCOPES, type ApiKeyScope, ApiKeySecret, type ApiKeyVerdict } from '@mdm/contracts';
import { TtlCache } from './ttl-cache';

/** How long a verdict is reused without asking the owner again: the most a revocation can lag on another gateway. */
export const VERDICT_TTL_MS = 5000;
/** Bounds the memory random garbage keys can take. */
const MAX_CACHED = 10_000;

/** Who is calling: the bootstrap key (`keyId` null, every scope) or a stored key. */
export interface Principal {
  keyId: string | null;
  scopes: readonly ApiKeyScope[];
}

export type Authentication = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Asks the owner (the enrollment service) about a secret; throws when it can't answer. */
export type VerdictLookup = (secret: string) => Promise<ApiKeyVerdict>;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const REASONS: Record<Exclude<ApiKeyVerdict['status'], 'valid'>, string> = {
  unknown: 'unknown API key',
  revoked: 'API key revoked',
  expired: 'API key expired',
};

/**
 * Turns a bearer token into a principal. MDM_API_KEY is compared here in constant time (hashes make
 * the lengths equal); other keys are judged by their owner, and each verdict is remembered for
 * VERDICT_TTL_MS under the secret's hash so a busy key costs one hop per few seconds, not per request.
 * Concurrent requests with the same key share one lookup.
 */
export class ApiKeyAuthenticator {
  private readonly bootstrap: Buffer;
  private readonly verdicts: TtlCache<{ keyId: string; verdict: Promise<ApiKeyVerdict> }>;

  constructor(
    bootstrapKey: string,
    private readonly lookup: VerdictLookup,
    private readonly now: () => number = Date.now,
  ) {
    this.bootstrap = digest(bootstrapKey);
    this.verdicts = new TtlCache(VERDICT_TTL_MS, MAX_CACHED, now);
  }

  async authenticate(token: string): Promise<Authentication> {
    const hash = digest(token);
    if (timingSafeEqual(hash, this.bootstrap)) return { ok: true, principal: { keyId: null, scopes: API_KEY_SCOPES } };
    // Not shaped like one of ours: no reason to bother the owner.
    if (!ApiKeySecret.safeParse(token).success) return { ok: false, reason: REASONS.unknown };
    const verdict = await this.verdictFor(token, hash.toString('base64'));
    if (verdict.status !== 'valid') return { ok: false, reason: REASONS[verdict.status] };
    // A remembered verdict must not outlive the key's own expiry.
    if (verdict.expiresAt && Date.parse(verdict.expiresAt) <= this.now()) return { ok: false, reason: REASONS.expired };
    return { ok: true, principal: { keyId: verdict.id, scopes: verdict.scopes } };
  }

  /** Forgets what this gateway remembers of a key, so its revocation here takes effect at once. */
  forget(keyId: string): void {
    this.verdicts.deleteWhere((entry) => entry.keyId === keyId);
  }

  private verdictFor(secret: string, cacheKey: string): Promise<ApiKeyVerdict> {
    const cached = this.verdicts.get(cacheKey);
    if (cached) return cached.verdict;
    const entry = { keyId: secret.slice('mdm_'.length, 'mdm_'.length + 36), verdict: this.lookup(secret) };
    this.verdicts.set(cacheKey, entry);
    // A failed lookup is not a verdict: the next request asks again.
    entry.verdict.catch(() => {
      if (this.verdicts.get(cacheKey) === entry) this.verdicts.delete(cacheKey);
    });
    return entry.verdict;
  }
}
