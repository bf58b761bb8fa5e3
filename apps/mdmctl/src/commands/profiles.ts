import { queryString } from '../api-client';
import { type Command, command, type Context, Exit, printJson } from '../command';
import { deleteResource, printList, printResource, resolveId } from '../list';
import { flag, integer, jsonObject, LIST_OPTIONS, LIST_USAGE, type ListParams, listParams, onePositional, required, str } from '../options';

interface ProfileRow {
  id: string;
  name: string;
  identifier: string;
  version: number;
  removalDisallowed: boolean;
  payloads: Array<{ type: string }>;
  warnings: string[];
  updatedAt: string;
}

/** A profile's id from its id or its PayloadIdentifier. */
export const profileId = (ctx: Context, idOrIdentifier: string): Promise<string> => resolveId(ctx, '/v1/profiles', 'profiles', idOrIdentifier, 'identifier', 'profile');
const profilePath = async (ctx: Context, id: string, rest = ''): Promise<string> => `/v1/profiles/${await profileId(ctx, id)}${rest}`;

function printProfile(ctx: Context, p: ProfileRow, verb: string): number {
  if (ctx.global.json) printJson(ctx, p);
  else {
    ctx.io.stdout(`${verb} profile ${p.identifier} version ${p.version} (${p.id})\n`);
    for (const w of p.warnings) ctx.io.stdout(`warning: ${w}\n`);
  }
  return Exit.Ok;
}

export const profileCommands: readonly Command[] = [
  command<string>({
    name: 'profiles create',
    usage: 'mdmctl profiles create --file passcode.json',
    summary: 'Create a profile from a JSON definition ({ name, identifier, payloads: [{ type, settings }] }), checked against Apple\'s schema',
    options: { file: { type: 'string', short: 'f' } },
    parse: (v) => required(v, 'file', 'the JSON definition'),
    run: async (ctx, file) => printProfile(ctx, await ctx.api.json<ProfileRow>('POST', '/v1/profiles', jsonObject(ctx.io.readFile(file).toString('utf8'), 'file')), 'created'),
  }),
  command<{ file: string; name?: string; allowUnknown: boolean }>({
    name: 'profiles upload',
    usage: 'mdmctl profiles upload --file wifi.mobileconfig [--name "Shown name"] [--allow-unknown]',
    summary: 'Import an existing .mobileconfig (signed or plain)',
    options: { file: { type: 'string', short: 'f' }, name: { type: 'string' }, 'allow-unknown': { type: 'boolean' } },
    parse: (v) => ({ file: required(v, 'file', 'the .mobileconfig'), name: str(v, 'name'), allowUnknown: flag(v, 'allow-unknown') }),
    run: async (ctx, c) => {
      const body = { mobileconfig: ctx.io.readFile(c.file).toString('base64'), allowUnknown: c.allowUnknown, ...(c.name ? { name: c.name } : {}) };
      return printProfile(ctx, await ctx.api.json<ProfileRow>('POST', '/v1/profiles/upload', body), 'imported');
    },
  }),
  command<ListParams>({
    name: 'profiles list',
    usage: `mdmctl profiles list [--payload-type com.apple.wifi.managed] ${LIST_USAGE}`,
    summary: 'Configuration profiles',
    options: { 'payload-type': { type: 'string' }, ...LIST_OPTIONS },
    parse: (v) => listParams(v, { 'payload-type': 'payloadType' }),
    run: (ctx, p) =>
      printList<ProfileRow>(
        ctx,
        '/v1/profiles',
        'profiles',
        p,
        [
          { header: 'ID', value: (r) => r.id },
          { header: 'IDENTIFIER', value: (r) => r.identifier },
          { header: 'NAME', value: (r) => r.name },
          { header: 'VERSION', value: (r) => r.version },
          { header: 'PAYLOADS', value: (r) => r.payloads.map((x) => x.type).join(', ') },
        ],
        'profiles',
      ),
  }),
  command<string>({
    name: 'profiles get',
    usage: 'mdmctl profiles get <id or identifier>',
    summary: 'One profile with its payloads',
    ...onePositional('id'),
    run: async (ctx, id) => printResource(ctx, await profilePath(ctx, id)),
  }),
  command<{ id: string; file: string }>({
    name: 'profiles update',
    usage: 'mdmctl profiles update <id or identifier> --file passcode.json',
    summary: 'Replace a profile\'s definition; its version rises when devices would see a change, and they get it',
    options: { file: { type: 'string', short: 'f' } },
    positionals: ['id'],
    parse: (v, [id]) => ({ id: id!, file: required(v, 'file', 'the JSON definition') }),
    run: async (ctx, c) =>
      printProfile(ctx, await ctx.api.json<ProfileRow>('PUT', await profilePath(ctx, c.id), jsonObject(ctx.io.readFile(c.file).toString('utf8'), 'file')), 'updated'),
  }),
  command<string>({
    name: 'profiles delete',
    usage: 'mdmctl profiles delete <id or identifier>',
    summary: 'Delete a profile',
    ...onePositional('id'),
    run: async (ctx, id) => deleteResource(ctx, await profilePath(ctx, id), `profile ${id}`),
  }),
  command<{ id: string; out?: string; version?: number; unsigned: boolean }>({
    name: 'profiles download',
    usage: 'mdmctl profiles download <id or identifier> [--out passcode.mobileconfig] [--version N] [--unsigned]',
    summary: 'The signed .mobileconfig (stdout unless --out; --unsigned for the XML)',
    options: { out: { type: 'string', short: 'o' }, version: { type: 'string' }, unsigned: { type: 'boolean' } },
    positionals: ['id'],
    parse: (v, [id]) => ({ id: id!, out: str(v, 'out'), version: integer(v, 'version', 1, 1_000_000), unsigned: flag(v, 'unsigned') }),
    run: async (ctx, c) => {
      const file = await ctx.api.bytes(await profilePath(ctx, c.id, `/mobileconfig${queryString({ version: c.version, unsigned: c.unsigned ? 'true' : undefined })}`));
      if (!c.out) ctx.io.stdout(file);
      else {
        ctx.io.writeFile(c.out, file);
        ctx.io.stderr(`wrote ${file.length} bytes to ${c.out}\n`);
      }
      return Exit.Ok;
    },
  }),
];
