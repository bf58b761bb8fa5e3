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
  PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
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
