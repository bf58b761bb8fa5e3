import { z } from 'zod';
import { BaseEnv, loadConfig, SecretKey } from '@mdm/service-kit';

export const EnrollmentEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8081),
  MDM_SECRET_KEY: SecretKey,
  /** Common name of the device CA created on first start. */
  MDM_DEVICE_CA_NAME: z.string().min(1).default('MDM Device CA'),
});
export type EnrollmentConfig = z.infer<typeof EnrollmentEnv>;

export const ENROLLMENT_CONFIG = Symbol('EnrollmentConfig');
export const loadEnrollmentConfig = (env?: NodeJS.ProcessEnv): EnrollmentConfig => loadConfig(EnrollmentEnv, env);
