import type { EnrollmentConfigurationView } from '@mdm/contracts';
import { queryString } from '../api-client';
import { type Command, command, type Context, Exit, printJson, UsageError } from '../command';
import { deleteResource, fetchList, printList, printResource } from '../list';
import { flag, integer, isUuid, LIST_OPTIONS, LIST_USAGE, type ListParams, listParams, onePositional, required, str } from '../options';

/** An enrollment configuration's id from its id or its name. */
async function configurationId(ctx: Context, idOrName: string): Promise<string> {
  if (isUuid(idOrName)) return idOrName;
  const { items } = await fetchList<EnrollmentConfigurationView>(ctx, '/v1/enrollment-configurations', 'configurations', { query: {}, all: true });
  const found = items.find((c) => c.name === idOrName);
  if (!found) throw new UsageError(`no enrollment configuration named ${idOrName}`);
  return found.id;
}

interface ProfileParams {
  out?: string;
  config?: string;
  topic?: string;
  accessRights?: number;
  unsigned: boolean;
}

export const enrollmentCommands: readonly Command[] = [
  command<ProfileParams>({
    name: 'enrollment-profile',
    usage: 'mdmctl enrollment-profile [--out enroll.mobileconfig] [--config <id or name> | --topic T --access-rights N] [--unsigned]',
    summary: 'Download a signed enrollment profile (stdout unless --out)',
    options: {
      out: { type: 'string', short: 'o' },
      config: { type: 'string' },
      topic: { type: 'string' },
      'access-rights': { type: 'string' },
      unsigned: { type: 'boolean' },
    },
    parse: (v) => {
      const config = str(v, 'config');
      if (config !== undefined && (v['topic'] !== undefined || v['access-rights'] !== undefined || v['unsigned'] !== undefined)) {
        throw new UsageError('a --config profile takes its topic and access rights from the configuration');
      }
      return { out: str(v, 'out'), config, topic: str(v, 'topic'), accessRights: integer(v, 'access-rights', 1, 8191), unsigned: flag(v, 'unsigned') };
    },
    run: async (ctx, c) => {
      const path =
        c.config !== undefined
          ? `/v1/enrollment-configurations/${await configurationId(ctx, c.config)}/profile`
          : `/v1/enrollment/profile${queryString({ topic: c.topic, accessRights: c.accessRights, unsigned: c.unsigned ? 'true' : undefined })}`;
      const profile = await ctx.api.bytes(path);
      if (c.out) {
        ctx.io.writeFile(c.out, profile);
        ctx.io.stderr(`wrote ${profile.length} bytes to ${c.out}\n`);
      } else {
        ctx.io.stdout(profile);
      }
      return Exit.Ok;
    },
  }),
  command<Record<string, unknown>>({
    name: 'enrollment-configs create',
    usage: 'mdmctl enrollment-configs create --name N [--topic com.apple.mgmt...] [--access-rights 8191] [--display-name "Shown name"]',
    summary: 'A named enrollment configuration (its profile: enrollment-profile --config N)',
    options: { name: { type: 'string' }, topic: { type: 'string' }, 'access-rights': { type: 'string' }, 'display-name': { type: 'string' } },
    parse: (v) => {
      const accessRights = integer(v, 'access-rights', 1, 8191);
      const body: Record<string, unknown> = { name: required(v, 'name') };
      if (str(v, 'topic')) body['topic'] = str(v, 'topic');
      if (accessRights !== undefined) body['accessRights'] = accessRights;
      if (str(v, 'display-name')) body['displayName'] = str(v, 'display-name');
      return body;
    },
    run: async (ctx, body) => {
      const created = await ctx.api.json<EnrollmentConfigurationView>('POST', '/v1/enrollment-configurations', body);
      if (ctx.global.json) printJson(ctx, created);
      else ctx.io.stdout(`created enrollment configuration ${created.name} (${created.id})\n`);
      return Exit.Ok;
    },
  }),
  command<ListParams>({
    name: 'enrollment-configs list',
    usage: `mdmctl enrollment-configs list [--topic T] ${LIST_USAGE}`,
    summary: 'Enrollment configurations',
    options: { topic: { type: 'string' }, ...LIST_OPTIONS },
    parse: (v) => listParams(v, { topic: 'topic' }),
    run: (ctx, p) =>
      printList<EnrollmentConfigurationView>(
        ctx,
        '/v1/enrollment-configurations',
        'configurations',
        p,
        [
          { header: 'ID', value: (c) => c.id },
          { header: 'NAME', value: (c) => c.name },
          { header: 'TOPIC', value: (c) => c.topic },
          { header: 'ACCESS RIGHTS', value: (c) => c.accessRights },
          { header: 'DISPLAY NAME', value: (c) => c.displayName },
        ],
        'enrollment configurations',
      ),
  }),
  command<string>({
    name: 'enrollment-configs get',
    usage: 'mdmctl enrollment-configs get <id or name>',
    summary: 'One enrollment configuration',
    ...onePositional('id'),
    run: async (ctx, id) => printResource(ctx, `/v1/enrollment-configurations/${await configurationId(ctx, id)}`),
  }),
  command<string>({
    name: 'enrollment-configs delete',
    usage: 'mdmctl enrollment-configs delete <id or name>',
    summary: 'Delete an enrollment configuration (enrolled devices stay)',
    ...onePositional('id'),
    run: async (ctx, id) => deleteResource(ctx, `/v1/enrollment-configurations/${await configurationId(ctx, id)}`, `enrollment configuration ${id}`),
  }),
];
