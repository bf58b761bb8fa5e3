import { z } from 'zod';
import { BaseEnv, loadConfig } from '@mdm/service-kit';

export const ProfileEnv = BaseEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65535).default(8084),
});
export type ProfileConfig = z.infer<typeof ProfileEnv>;

export const loadProfileConfig = (env?: NodeJS.ProcessEnv): ProfileConfig => loadConfig(ProfileEnv, env);
