import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BaseEnv, loadConfig, SecretKey } from '@mdm/service-kit';

export const PushEnv = BaseEnv.extend({
  /** Health and metrics port (the worker serves nothing else over HTTP). */
  PORT: z.coerce.number().int().min(1).max(65535).default(8083),
  MDM_SECRET_KEY: SecretKey,
  APNS_URL: z
    .string()
    .url()
    .regex(/^https:\/\//, 'must be an https:// URL')
    .default('https://api.push.apple.com'),
  /** Extra CAs (PEM) to trust for APNS_URL, e.g. a test server's. */
  APNS_CA_FILE: z.string().optional(),
  HTTPS_PROXY: z.string().url().optional(),
  APNS_SESSIONS: z.coerce.number().int().min(1).max(16).default(2),
  /** Seconds a push stays valid at APNs when the device is offline (apns-expiration). */
  APNS_PUSH_TTL_SECONDS: z.coerce.number().int().min(0).default(7 * 24 * 3600),
  /** push.batch jobs one worker handles at once (each up to the PUSH_BATCH_SIZE of the service that enqueued it). */
  PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Request ids per push.batch job this worker enqueues (retries, the sweep's re-enqueues; a sweep takes at
   * most 8 jobs' worth). The command service's setting of the same name sizes the jobs it enqueues.
   */
  PUSH_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(500),
  /**
   * How long a claimed request belongs to its worker. A worker that dies (kill -9) leaves its requests
   * to the sweep once this runs out; it must outlast a batch's APNs round trips, or a slow batch is
   * claimed twice.
   */
  PUSH_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  /** How often one replica looks for requests nobody took (a lost job, an expired lease). */
  PUSH_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** APNs 429/5xx/no answer: re-push after base * 2^(attempt-1), capped, with jitter, up to the limit. */
  PUSH_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1_000),
  PUSH_RETRY_MAX_MS: z.coerce.number().int().min(1).default(300_000),
  PUSH_RETRY_LIMIT: z.coerce.number().int().min(1).max(100).default(6),
  /** Failed push requests are kept this long as history, then deleted by the sweep (sent ones are deleted when sent). */
  PUSH_HISTORY_DAYS: z.coerce.number().min(0).default(7),
  /** How often workers re-read push certificates even without a broadcast. */
  APNS_CERT_RELOAD_SECONDS: z.coerce.number().int().min(1).default(60),
});
export type PushConfig = z.infer<typeof PushEnv> & { apnsCa: string[] };

export const PUSH_CONFIG = Symbol('PushConfig');

export function loadPushConfig(env?: NodeJS.ProcessEnv): PushConfig {
  const config = loadConfig(PushEnv, env);
  let apnsCa: string[] = [];
  if (config.APNS_CA_FILE) {
    try {
      apnsCa = [readFileSync(config.APNS_CA_FILE, 'utf8')];
    } catch (err) {
      throw new Error(`invalid configuration:\n  APNS_CA_FILE: cannot read ${config.APNS_CA_FILE}: ${(err as Error).message}`);
    }
  }
  return { ...config, apnsCa };
}
