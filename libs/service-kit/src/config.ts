import { z } from 'zod';

/** Settings every service shares; each app's `*.config.ts` extends this and parses once. */
export const BaseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` lines, or `pretty` for a person; unset: pretty when stdout is a terminal. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/mdm'),
  /** One server (`redis://`, `rediss://`) or a Redis Cluster's seed nodes (`redis-cluster://h1:p1,h2:p2`). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?(-cluster)?:\/\//, 'must be a redis:// URL (or redis-cluster://host:port,host:port for a Redis Cluster)')
    .default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key; a test run or a second install on the same Redis picks its own. */
  MDM_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, 'letters, digits, -, _ and {} only')
    .default('mdm'),
  DB_MIGRATE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Host the service listens on (internal services bind 127.0.0.1 unless told otherwise). */
  HOST: z.string().default('127.0.0.1'),
});

/** 32 random bytes, base64 or hex: encrypts secrets at rest (push key, CA key, tokens). */
export const SecretKey = z
  .string({ message: 'is required: 32 random bytes as base64 or 64 hex characters (openssl rand -base64 32)' })
  .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 random bytes as base64 or 64 hex characters (openssl rand -base64 32)',
  });

export class ConfigError extends Error {}

/**
 * Parses the environment once. A bad or missing setting stops start-up with a message naming the
 * variable and what it expects.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    const parsed = result.data as { REDIS_URL?: unknown; MDM_REDIS_PREFIX?: unknown };
    // BullMQ's scripts touch several keys of a queue at once: on a cluster they must share a slot.
    if (typeof parsed.REDIS_URL === 'string' && /^rediss?-cluster:/.test(parsed.REDIS_URL) && !/\{[^}]+\}/.test(String(parsed.MDM_REDIS_PREFIX))) {
      throw new ConfigError('invalid configuration:\n  MDM_REDIS_PREFIX: with a Redis Cluster it must contain a hash tag, e.g. {mdm}, so each queue lives in one slot');
    }
    return result.data;
  }
  const lines = result.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
