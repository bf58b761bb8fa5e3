import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BaseEnv, ConfigError, loadConfig, SecretKey } from '@mdm/service-kit';


export const EnrollmentEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8081),
  MDM_SECRET_KEY: SecretKey,
  /** The URL devices reach the gateway at; every URL in the enrollment profile derives from it. */
  MDM_PUBLIC_URL: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/]+$/, 'must be an origin like https://mdm.example.com (no path)')
    .default('http://127.0.0.1:8080'),
  /** Common name of the device CA created on first start. */
  MDM_DEVICE_CA_NAME: z.string().min(1).default('MDM Device CA'),
  /** How often the push certificate expiry check runs (once per interval across replicas). */
  APNS_CERT_CHECK_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Import this CA (PEM certificate and key files) instead of creating one. */
  MDM_DEVICE_CA_CERT_FILE: z.string().optional(),
  MDM_DEVICE_CA_KEY_FILE: z.string().optional(),
  /** Days a device identity issued through SCEP is valid. */
  MDM_DEVICE_CERT_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Seconds a one-time SCEP challenge minted with an enrollment profile stays usable. */
  MDM_SCEP_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(30).default(3600),
  /** Optional static SCEP challenge, accepted any number of times (for pre-provisioned profiles). */
  MDM_SCEP_STATIC_CHALLENGE: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Profile-signing identity (PEM files); by default one issued by the device CA on first start. */
  MDM_PROFILE_SIGNING_CERT_FILE: z.string().optional(),
  MDM_PROFILE_SIGNING_KEY_FILE: z.string().optional(),
  MDM_ORGANIZATION: z.string().min(1).default('MDM'),
  /** PayloadIdentifier of the enrollment profile: a re-download with the same identifier replaces it. */
  MDM_PROFILE_IDENTIFIER: z.string().regex(/^[A-Za-z0-9.-]+$/).default('com.example.mdm.enrollment'),
  /** Default AccessRights of the MDM payload (8191 = all rights). */
  MDM_ACCESS_RIGHTS: z.coerce.number().int().min(1).max(8191).default(8191),
  /** How often the event feed is read when idle (device facts from inventory answers). */
  ENROLLMENT_FEED_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});

export type EnrollmentConfig = z.infer<typeof EnrollmentEnv> & {
  importedCa?: { certPem: string; keyPem: string };
  profileSigner?: { certPem: string; keyPem: string };
};

export const ENROLLMENT_CONFIG = Symbol('EnrollmentConfig');

function readPair(certVar: string, certFile: string | undefined, keyVar: string, keyFile: string | undefined): { certPem: string; keyPem: string } | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ConfigError(`invalid configuration:\n  ${certVar} and ${keyVar} must be set together`);
  const read = (name: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  ${name}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return { certPem: read(certVar, certFile), keyPem: read(keyVar, keyFile) };
}

export function loadEnrollmentConfig(env?: NodeJS.ProcessEnv): EnrollmentConfig {
  const config = loadConfig(EnrollmentEnv, env);
  return {
    ...config,
    importedCa: readPair('MDM_DEVICE_CA_CERT_FILE', config.MDM_DEVICE_CA_CERT_FILE, 'MDM_DEVICE_CA_KEY_FILE', config.MDM_DEVICE_CA_KEY_FILE),
    profileSigner: readPair(
      'MDM_PROFILE_SIGNING_CERT_FILE',
      config.MDM_PROFILE_SIGNING_CERT_FILE,
      'MDM_PROFILE_SIGNING_KEY_FILE',
      config.MDM_PROFILE_SIGNING_KEY_FILE,
    ),
  };
}
