import { type Command, command, type Context, Exit, printJson, UsageError } from '../command';
import { DEVICE_PROFILE_COLUMNS, type DeviceProfileRow } from '../format';
import { printList, report, resolveId } from '../list';
import { LIST_OPTIONS, type ListParams, listParams, many } from '../options';
import { profileId } from './profiles';

/** A device group's id from its id or its name. */
export const groupId = (ctx: Context, idOrName: string): Promise<string> => resolveId(ctx, '/v1/device-groups', 'groups', idOrName, 'name', 'device group');

interface TargetParams {
  id: string;
  udids: string[];
  groups: string[];
}

const TARGET_OPTIONS = { udid: { type: 'string', short: 'u', multiple: true }, group: { type: 'string', short: 'g', multiple: true } } as const;

function targets(values: Parameters<typeof many>[0], [id]: string[]): TargetParams {
  const params = { id: id!, udids: many(values, 'udid'), groups: many(values, 'group') };
  if (!params.udids.length && !params.groups.length) throw new UsageError('name at least one device (--udid) or device group (--group)');
  return params;
}

async function change(ctx: Context, method: 'POST' | 'DELETE', c: TargetParams): Promise<{ profileId: string; devices: number; groups: number }> {
  const groupIds = await Promise.all(c.groups.map((g) => groupId(ctx, g)));
  return ctx.api.json(method, `/v1/profiles/${await profileId(ctx, c.id)}/assignments`, { udids: c.udids, groupIds });
}

/** Where profiles go (devices and device groups), and how they fare on each device. */
export const assignmentCommands: readonly Command[] = [
  command<TargetParams>({
    name: 'profiles assign',
    usage: 'mdmctl profiles assign <id or identifier> [--udid X ...] [--group <id or name> ...]',
    summary: 'Assign a profile to devices and device groups; devices that lack it get it installed',
    options: TARGET_OPTIONS,
    positionals: ['id'],
    parse: targets,
    run: async (ctx, c) => report(ctx, await change(ctx, 'POST', c), (a) => `assigned ${c.id} to ${a.devices} device(s) and ${a.groups} group(s)`),
  }),
  command<TargetParams>({
    name: 'profiles unassign',
    usage: 'mdmctl profiles unassign <id or identifier> [--udid X ...] [--group <id or name> ...]',
    summary: 'Remove assignments; devices no longer targeted get the profile removed',
    options: TARGET_OPTIONS,
    positionals: ['id'],
    parse: targets,
    run: async (ctx, c) => report(ctx, await change(ctx, 'DELETE', c), (a) => `unassigned ${c.id} from ${a.devices} device(s) and ${a.groups} group(s)`),
  }),
  command<string>({
    name: 'profiles assignments',
    usage: 'mdmctl profiles assignments <id or identifier>',
    summary: 'The devices and device groups a profile is assigned to',
    positionals: ['id'],
    parse: (_v, [id]) => id!,
    run: async (ctx, id) => {
      const a = await ctx.api.json<{ udids: string[]; groups: Array<{ id: string; name: string }> }>('GET', `/v1/profiles/${await profileId(ctx, id)}/assignments`);
      if (ctx.global.json) printJson(ctx, a);
      else if (!a.udids.length && !a.groups.length) ctx.io.stdout('no assignments\n');
      else for (const line of [...a.groups.map((g) => `group   ${g.name} (${g.id})`), ...a.udids.map((u) => `device  ${u}`)]) ctx.io.stdout(`${line}\n`);
      return Exit.Ok;
    },
  }),
  command<{ id: string } & ListParams>({
    name: 'profiles devices',
    usage: 'mdmctl profiles devices <id or identifier> [--status pending|installed|failed|blocked|removing|removed] [--limit N] [--offset N] [--all]',
    summary: 'A profile\'s state on each device it targets',
    options: { status: { type: 'string' }, limit: LIST_OPTIONS['limit']!, offset: LIST_OPTIONS['offset']!, all: LIST_OPTIONS['all']! },
    positionals: ['id'],
    parse: (v, [id]) => ({ id: id!, ...listParams(v, { status: 'status' }) }),
    run: async (ctx, c) =>
      printList<DeviceProfileRow>(ctx, `/v1/profiles/${await profileId(ctx, c.id)}/devices`, 'devices', c, [{ header: 'UDID', value: (r) => r.udid }, ...DEVICE_PROFILE_COLUMNS.slice(1)], 'devices'),
  }),
];
