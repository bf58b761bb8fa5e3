/** What a limiter answers: go ahead, or wait this many seconds (whole, at least 1: Retry-After's unit). */
export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill */
  at: number;
}

export interface TokenBucketOptions {
  /** Sustained requests per second per key; 0 disables the limiter (every take is allowed). */
  ratePerSecond: number;
  /** Requests a key may make at once after being quiet (bucket size). */
  burst: number;
  /**
   * Keys remembered at most. The least recently used bucket is forgotten first; a forgotten key
   * starts again with a full bucket, so the bound costs at most one extra burst per evicted key.
   */
  maxKeys?: number;
  now?: () => number;
}

/**
 * Token buckets per key (an address, a certificate fingerprint), in memory. Each gateway replica
 * keeps its own, so N replicas behind a load balancer allow up to N times the configured rate:
 * a guard against floods and runaway clients, not a quota.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly opts: TokenBucketOptions) {
    if (opts.ratePerSecond < 0 || opts.burst < 1) throw new RangeError('ratePerSecond must be >= 0 and burst >= 1');
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.ratePerSecond > 0;
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string): TakeResult {
    if (!this.enabled) return { allowed: true };
    const now = this.now();
    const { ratePerSecond, burst } = this.opts;
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
      bucket.at = now;
      // Re-insert: Map order is then least recently used first, which is what eviction takes.
      this.buckets.delete(key);
    } else {
      bucket = { tokens: burst, at: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
  }
}
