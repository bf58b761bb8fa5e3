import { z } from 'zod';

/** The standalone migration runner's only setting, parsed once with a message naming it. */
const MigrateEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/mdm'),
});

export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): z.infer<typeof MigrateEnv> {
  const parsed = MigrateEnv.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
