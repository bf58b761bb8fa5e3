import { type Command, command, type Context, Exit, printJson, UsageError, type Values } from '../command';
import { deleteResource, printList, printResource, report } from '../list';
import { flag, LIST_OPTIONS, LIST_USAGE, type ListParams, listParams, many, onePositional, str, udidsOf } from '../options';
import { groupId } from './assignments';

interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  rule: Record<string, unknown> | null;
  devices: number;
  createdAt: string;
}

/** `device-groups add|remove <group> --udid X`: a static group's members. */
function memberCommand(verb: 'add' | 'remove', method: 'POST' | 'DELETE', summary: string): Command {
  return command<{ id: string; udids: string[] }>({
    name: `device-groups ${verb}`,
    usage: `mdmctl device-groups ${verb} <id or name> --udid X [--udid Y ...]`,
    summary,
    options: { udid: { type: 'string', short: 'u', multiple: true } },
    positionals: ['id'],
    parse: (v, [id]) => ({ id: id!, udids: udidsOf(v) }),
    run: async (ctx, c) =>
      report(ctx, await ctx.api.json<{ udids: string[] }>(method, `/v1/device-groups/${await groupId(ctx, c.id)}/members`, { udids: c.udids }), (a) => `${c.id} now has ${a.udids.length} device(s)`),
  });
}

const RULE_OPTIONS = {
  supervised: { type: 'boolean' },
  unsupervised: { type: 'boolean' },
  'min-os': { type: 'string' },
  'max-os': { type: 'string' },
  'product-name': { type: 'string' },
} as const;
const RULE_USAGE = '[--supervised | --unsupervised] [--min-os 17.2] [--max-os 18] [--product-name iPad]';

/** The rule of a dynamic group from its flags; undefined when none is given. */
export function ruleOf(v: Values): Record<string, unknown> | undefined {
  if (flag(v, 'supervised') && flag(v, 'unsupervised')) throw new UsageError('--supervised and --unsupervised exclude each other');
  const rule: Record<string, unknown> = {};
  if (flag(v, 'supervised') || flag(v, 'unsupervised')) rule['supervised'] = flag(v, 'supervised');
  if (str(v, 'min-os')) rule['minOsVersion'] = str(v, 'min-os');
  if (str(v, 'max-os')) rule['maxOsVersion'] = str(v, 'max-os');
  if (str(v, 'product-name')) rule['productName'] = str(v, 'product-name');
  return Object.keys(rule).length ? rule : undefined;
}

/** `supervised, OS >= 17.2, iPad*`, or `static` for a group of listed devices. */
export function describeRule(rule: Record<string, unknown> | null): string {
  if (!rule) return 'static';
  const parts: string[] = [];
  if (rule['supervised'] !== undefined) parts.push(rule['supervised'] ? 'supervised' : 'unsupervised');
  if (rule['minOsVersion']) parts.push(`OS >= ${String(rule['minOsVersion'])}`);
  if (rule['maxOsVersion']) parts.push(`OS <= ${String(rule['maxOsVersion'])}`);
  if (rule['productName']) parts.push(`${String(rule['productName'])}*`);
  return parts.join(', ');
}

function printGroup(ctx: Context, g: GroupRow, verb: string): number {
  return report(ctx, g, () => `${verb} device group ${g.name} (${g.id}): ${describeRule(g.rule)}, ${g.devices} device(s)`);
}

/** The UDIDs of a group's devices, one a line. */
async function members(ctx: Context, id: string): Promise<number> {
  const answer = await ctx.api.json<{ groupId: string; udids: string[] }>('GET', `/v1/device-groups/${id}/members`);
  if (ctx.global.json) printJson(ctx, answer);
  else ctx.io.stdout(answer.udids.length ? `${answer.udids.join('\n')}\n${answer.udids.length} device(s)\n` : 'no devices in this group\n');
  return Exit.Ok;
}

export const deviceGroupCommands: readonly Command[] = [
  command<Record<string, unknown>>({
    name: 'device-groups create',
    usage: `mdmctl device-groups create --name N [--description D] ([--udid X ...] | ${RULE_USAGE})`,
    summary: 'A static group (listed devices, --udid) or a dynamic one (every device matching the rule flags)',
    options: { name: { type: 'string' }, description: { type: 'string' }, udid: { type: 'string', short: 'u', multiple: true }, ...RULE_OPTIONS },
    parse: (v) => {
      const name = str(v, 'name');
      if (!name) throw new UsageError('--name is required');
      const rule = ruleOf(v);
      const udids = many(v, 'udid');
      if (rule && udids.length) throw new UsageError('a group has either listed devices (--udid) or a rule, not both');
      return { name, ...(str(v, 'description') ? { description: str(v, 'description') } : {}), ...(rule ? { rule } : {}), ...(udids.length ? { udids } : {}) };
    },
    run: async (ctx, body) => printGroup(ctx, await ctx.api.json<GroupRow>('POST', '/v1/device-groups', body), 'created'),
  }),
  command<ListParams>({
    name: 'device-groups list',
    usage: `mdmctl device-groups list [--static | --dynamic] ${LIST_USAGE}`,
    summary: 'Device groups with their rule and device count',
    options: { static: { type: 'boolean' }, dynamic: { type: 'boolean' }, ...LIST_OPTIONS },
    parse: (v) => {
      const p = listParams(v);
      if (flag(v, 'static') && flag(v, 'dynamic')) throw new UsageError('--static and --dynamic exclude each other');
      if (flag(v, 'static') || flag(v, 'dynamic')) p.query['kind'] = flag(v, 'static') ? 'static' : 'dynamic';
      return p;
    },
    run: (ctx, p) =>
      printList<GroupRow>(
        ctx,
        '/v1/device-groups',
        'groups',
        p,
        [
          { header: 'ID', value: (g) => g.id },
          { header: 'NAME', value: (g) => g.name },
          { header: 'DEVICES', value: (g) => g.devices },
          { header: 'RULE', value: (g) => describeRule(g.rule) },
        ],
        'device groups',
      ),
  }),
  command<string>({
    name: 'device-groups get',
    usage: 'mdmctl device-groups get <id or name>',
    summary: 'One device group',
    ...onePositional('id'),
    run: async (ctx, id) => printResource(ctx, `/v1/device-groups/${await groupId(ctx, id)}`),
  }),
  command<string>({
    name: 'device-groups members',
    usage: 'mdmctl device-groups members <id or name>',
    summary: 'The devices in a group now',
    ...onePositional('id'),
    run: async (ctx, id) => members(ctx, await groupId(ctx, id)),
  }),
  memberCommand('add', 'POST', 'Add devices to a static group (its profiles follow)'),
  memberCommand('remove', 'DELETE', 'Take devices out of a static group'),
  command<{ id: string; body: Record<string, unknown> }>({
    name: 'device-groups update',
    usage: `mdmctl device-groups update <id or name> [--name N] [--description D | --no-description] ${RULE_USAGE}`,
    summary: 'Rename a group or change its rule (the rule flags given replace the whole rule); profiles follow the new membership',
    options: { name: { type: 'string' }, description: { type: 'string' }, 'no-description': { type: 'boolean' }, ...RULE_OPTIONS },
    positionals: ['id'],
    parse: (v, [id]) => {
      const body: Record<string, unknown> = {};
      if (str(v, 'name')) body['name'] = str(v, 'name');
      if (str(v, 'description') !== undefined) body['description'] = str(v, 'description');
      if (flag(v, 'no-description')) body['description'] = null;
      const rule = ruleOf(v);
      if (rule) body['rule'] = rule;
      if (!Object.keys(body).length) throw new UsageError('name something to change: --name, --description or a rule flag');
      return { id: id!, body };
    },
    run: async (ctx, c) => printGroup(ctx, await ctx.api.json<GroupRow>('PATCH', `/v1/device-groups/${await groupId(ctx, c.id)}`, c.body), 'updated'),
  }),
  command<string>({
    name: 'device-groups delete',
    usage: 'mdmctl device-groups delete <id or name>',
    summary: 'Delete a group; its profiles leave devices that no longer get them otherwise',
    ...onePositional('id'),
    run: async (ctx, id) => deleteResource(ctx, `/v1/device-groups/${await groupId(ctx, id)}`, `device group ${id}`),
  }),
];
