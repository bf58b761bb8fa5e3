import { z } from 'zod';
import { BaseEnv, loadConfig } from '@mdm/service-kit';

export const CommandEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /** Devices per push.requested job when one command targets many devices. */
  PUSH_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(500),
  /** Commands queued for a device within this window share one push. */
  PUSH_COALESCE_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  /** After a NotNow, re-push the device after base * 2^(n-1) (capped, with jitter), for up to LIMIT NotNows. */
  NOTNOW_RETRY_BASE_MS: z.coerce.number().int().min(1).default(60_000),
  NOTNOW_RETRY_MAX_MS: z.coerce.number().int().min(1).default(3_600_000),
  NOTNOW_RETRY_LIMIT: z.coerce.number().int().min(0).max(100).default(6),
  /** How often one replica turns commands past their expiresAt into EXPIRED. */
  EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** Enrolled devices with pending commands that have not connected for this long are pushed again. */
  SILENT_DEVICE_SECONDS: z.coerce.number().int().min(1).default(24 * 3600),
  SILENT_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(600_000),
  /** Queue DeviceInformation and ProfileList after a device's first TokenUpdate (read from the event feed). */
  MDM_ENROLL_INVENTORY: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How often the event feed is read when idle. */
  COMMAND_FEED_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});
export type CommandConfig = z.infer<typeof CommandEnv>;

export const COMMAND_CONFIG = Symbol('CommandConfig');
export const loadCommandConfig = (env?: NodeJS.ProcessEnv): CommandConfig => loadConfig(CommandEnv, env);
