import { z } from 'zod';
import { BaseEnv, loadConfig } from '@mdm/service-kit';

export const CommandEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /** Push requests per `push.batch` job: one claim and one set of writes in the push worker. */
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
  /**
   * How old a device's inventory (every DeviceInformation query, SecurityInfo, CertificateList) may get
   * before it is asked again: a number with a unit (`90s`, `30m`, `24h`, `7d`); `off` turns the schedule off.
   */
  INVENTORY_REFRESH_INTERVAL: z
    .string()
    .default('24h')
    .transform((v, ctx) => {
      const ms = parseInterval(v);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 30m, 24h or 7d (at least 1s), or off' });
      return ms ?? 0;
    }),
  /** How often one replica looks for devices due a refresh (at most INVENTORY_SWEEP_BATCH each time). */
  INVENTORY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  INVENTORY_SWEEP_BATCH: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** How often the event feed is read when idle. */
  COMMAND_FEED_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h` → milliseconds; `off` → 0 (no schedule); anything else, or under a second, → undefined. */
export function parseInterval(text: string): number | undefined {
  const v = text.trim().toLowerCase();
  if (v === 'off') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(v);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  return ms >= 1000 ? ms : undefined;
}

export type CommandConfig = z.infer<typeof CommandEnv>;

export const COMMAND_CONFIG = Symbol('CommandConfig');
export const loadCommandConfig = (env?: NodeJS.ProcessEnv): CommandConfig => loadConfig(CommandEnv, env);
