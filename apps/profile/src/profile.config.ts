import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BaseEnv, ConfigError, loadConfig, SecretKey } from '@mdm/service-kit';

export const ProfileEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8084),
  /** Opens the profile-signing key the enrollment service sealed (the same key every service shares). */
  MDM_SECRET_KEY: SecretKey,
  /** The operator's profile-signing identity (PEM files), the same pair enrollment signs with. */
  MDM_PROFILE_SIGNING_CERT_FILE: z.string().optional(),
  MDM_PROFILE_SIGNING_KEY_FILE: z.string().optional(),
  /** Where InstallProfile / RemoveProfile / ProfileList are queued (the command service's API). */
  COMMAND_SERVICE_URL: z.string().url().regex(/^https?:\/\//, 'must be an http(s):// URL').default('http://127.0.0.1:8082'),
  /** How often the event feed (command results, check-ins) is read when idle. */
  PROFILE_FEED_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** How often planned commands not yet handed to the command service are looked for. */
  PROFILE_SUBMIT_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** How often every device with profile state is reconciled from scratch (default 15 minutes). */
  PROFILE_RECONCILE_SWEEP_MS: z.coerce.number().int().min(1000).default(900_000),
});

export type ProfileConfig = z.infer<typeof ProfileEnv> & {
  profileSigner?: { certPem: string; keyPem: string };
};

export const PROFILE_CONFIG = Symbol('ProfileConfig');

export function loadProfileConfig(env?: NodeJS.ProcessEnv): ProfileConfig {
  const config = loadConfig(ProfileEnv, env);
  const certFile = config.MDM_PROFILE_SIGNING_CERT_FILE;
  const keyFile = config.MDM_PROFILE_SIGNING_KEY_FILE;
  if (!certFile && !keyFile) return config;
  if (!certFile || !keyFile) {
    throw new ConfigError('invalid configuration:\n  MDM_PROFILE_SIGNING_CERT_FILE and MDM_PROFILE_SIGNING_KEY_FILE must be set together');
  }
  const read = (name: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  ${name}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    ...config,
    profileSigner: { certPem: read('MDM_PROFILE_SIGNING_CERT_FILE', certFile), keyPem: read('MDM_PROFILE_SIGNING_KEY_FILE', keyFile) },
  };
}
