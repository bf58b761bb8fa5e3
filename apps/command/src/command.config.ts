import { z } from 'zod';
import { BaseEnv, loadConfig } from '@mdm/service-kit';

export const CommandEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /** Devices per push.requested job when one command targets many devices. */
  PUSH_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(500),
});
export type CommandConfig = z.infer<typeof CommandEnv>;

export const COMMAND_CONFIG = Symbol('CommandConfig');
export const loadCommandConfig = (env?: NodeJS.ProcessEnv): CommandConfig => loadConfig(CommandEnv, env);
