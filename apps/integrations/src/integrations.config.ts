import { z } from 'zod';
import { BaseEnv, ConfigError, loadConfig, SecretKey } from '@mdm/service-kit';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `90m`, `30s`, `1500ms`, `2d`, or a bare number of seconds. */
export function parseDurationMs(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 's']);
}

const Duration = z.string().transform((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms === undefined || ms < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 24h, 90m, 30s or 1500ms (a bare number is seconds)' });
    return z.NEVER;
  }
  return ms;
});

const Ms = (byDefault: number, min = 1): z.ZodDefault<z.ZodCoercedNumber<unknown>> => z.coerce.number().int().min(min).default(byDefault);

export const IntegrationsEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8085),
  /** Seals webhook secrets at rest (the key every service shares). */
  MDM_SECRET_KEY: SecretKey,
  /** How long one HTTP attempt may take, connection to last byte of the answer's head. */
  WEBHOOK_TIMEOUT_MS: Ms(10_000, 100),
  /** Backoff of failed attempts: base · 2^(n-1), capped, with equal jitter (and at least a 429/503's Retry-After). */
  WEBHOOK_RETRY_BASE_MS: Ms(5_000),
  WEBHOOK_RETRY_MAX_MS: Ms(3_600_000),
  /** How long after its creation (or a manual retry) a delivery is retried before it is dead-lettered. */
  WEBHOOK_RETRY_WINDOW: Duration.default(24 * 3_600_000),
  /** How long a claimed delivery belongs to its worker; a killed worker's deliveries are sent again after it. */
  WEBHOOK_LEASE_MS: Ms(60_000, 1000),
  /** Deliveries one replica sends at once. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** How often a replica looks for due deliveries without a wake-up notice (retries, missed notices). */
  WEBHOOK_POLL_INTERVAL_MS: Ms(1_000, 10),
  /** How often the fan-out reads the event feed when it is idle. */
  WEBHOOK_FEED_INTERVAL_MS: Ms(500, 10),
  WEBHOOK_FEED_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Delivered and dead deliveries (with their attempts) are deleted after this many days. */
  WEBHOOK_HISTORY_DAYS: z.coerce.number().int().min(1).default(30),
});
export type IntegrationsConfig = z.infer<typeof IntegrationsEnv>;

export const INTEGRATIONS_CONFIG = Symbol('IntegrationsConfig');

export function loadIntegrationsConfig(env?: NodeJS.ProcessEnv): IntegrationsConfig {
  const config = loadConfig(IntegrationsEnv, env);
  // A lease shorter than a request would let a second replica send a delivery that is still in flight.
  if (config.WEBHOOK_LEASE_MS < config.WEBHOOK_TIMEOUT_MS + 5_000) {
    throw new ConfigError(
      `invalid configuration:\n  WEBHOOK_LEASE_MS: must be at least WEBHOOK_TIMEOUT_MS + 5000 (${config.WEBHOOK_TIMEOUT_MS + 5_000}), so a lease outlives the request it covers`,
    );
  }
  if (config.WEBHOOK_RETRY_MAX_MS < config.WEBHOOK_RETRY_BASE_MS) {
    throw new ConfigError('invalid configuration:\n  WEBHOOK_RETRY_MAX_MS: must not be below WEBHOOK_RETRY_BASE_MS');
  }
  return config;
}
