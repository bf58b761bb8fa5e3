import { type Command, command, Exit, printJson } from '../command';
import { DEVICE_COLUMNS, type DeviceRow, DEVICE_PROFILE_COLUMNS, type DeviceProfileRow, deliveryDetail, type DeliveryRow } from '../format';
import { printList, printResource, printRows, report } from '../list';
import { LIST_OPTIONS, type ListParams, listParams, onePositional, udidsOf, yesNo } from '../options';

const devicePath = (udid: string, rest = ''): string => `/v1/devices/${encodeURIComponent(udid)}${rest}`;

interface HistoryRow extends DeliveryRow {
  commandUuid: string;
  requestType: string;
  queuedAt: string;
  completedAt: string | null;
}

interface PendingRow {
  commandUuid: string;
  requestType: string;
  status: string;
  notNowCount: number;
  queuedAt: string;
  expiresAt: string | null;
}

export const deviceCommands: readonly Command[] = [
  command<ListParams>({
    name: 'devices list',
    usage:
      'mdmctl devices list [--enrolled | --unenrolled] [--supervised | --unsupervised] [--os 17.5] [--os-min 17.2] [--model iPad] [--serial S]\n' +
      '                    [--sort enrolledAt|lastSeenAt|udid|serialNumber|osVersion|createdAt] [--order asc|desc] [--limit N] [--offset N] [--all]',
    summary: 'Devices, filtered, sorted and paged (--all: every page)',
    options: {
      enrolled: { type: 'boolean' },
      unenrolled: { type: 'boolean' },
      supervised: { type: 'boolean' },
      unsupervised: { type: 'boolean' },
      os: { type: 'string' },
      'os-min': { type: 'string' },
      model: { type: 'string' },
      serial: { type: 'string' },
      ...LIST_OPTIONS,
    },
    parse: (v) => {
      const params = listParams(v, { os: 'os', 'os-min': 'osMin', model: 'model', serial: 'serial' });
      yesNo(v, params.query, [
        ['enrolled', 'unenrolled', 'enrolled'],
        ['supervised', 'unsupervised', 'supervised'],
      ]);
      return params;
    },
    run: (ctx, p) => printList<DeviceRow>(ctx, '/v1/devices', 'devices', p, DEVICE_COLUMNS, 'devices'),
  }),
  command<string>({
    name: 'devices get',
    usage: 'mdmctl devices get <udid>',
    summary: 'One device: inventory, enrollment and push state',
    ...onePositional('udid'),
    run: (ctx, udid) => printResource(ctx, devicePath(udid)),
  }),
  command<{ udid: string } & ListParams>({
    name: 'devices commands',
    usage: 'mdmctl devices commands <udid> [--status ERROR,FORMAT_ERROR] [--type RequestType] [--sort queuedAt|completedAt|status|requestType] [--order asc|desc] [--limit N] [--offset N] [--all]',
    summary: 'A device\'s command history, newest first',
    options: { status: { type: 'string' }, type: { type: 'string', short: 't' }, ...LIST_OPTIONS },
    positionals: ['udid'],
    parse: (v, [udid]) => ({ udid: udid!, ...listParams(v, { status: 'status', type: 'requestType' }) }),
    run: (ctx, p) =>
      printList<HistoryRow>(
        ctx,
        devicePath(p.udid, '/commands'),
        'commands',
        p,
        [
          { header: 'COMMAND', value: (c) => c.commandUuid },
          { header: 'TYPE', value: (c) => c.requestType },
          { header: 'STATUS', value: (c) => c.status },
          { header: 'QUEUED', value: (c) => c.queuedAt },
          { header: 'DETAIL', value: (c) => deliveryDetail(c) },
        ],
        'commands',
      ),
  }),
  command<string>({
    name: 'devices queue',
    usage: 'mdmctl devices queue <udid>',
    summary: 'The commands still waiting for a device',
    ...onePositional('udid'),
    run: async (ctx, udid) => {
      const answer = await ctx.api.json<{ udid: string; pending: PendingRow[] }>('GET', devicePath(udid, '/queue'));
      if (ctx.global.json) printJson(ctx, answer);
      else
        printRows(
          ctx,
          answer.pending,
          [
            { header: 'COMMAND', value: (c) => c.commandUuid },
            { header: 'TYPE', value: (c) => c.requestType },
            { header: 'STATUS', value: (c) => c.status },
            { header: 'NOTNOW', value: (c) => c.notNowCount },
            { header: 'QUEUED', value: (c) => c.queuedAt },
            { header: 'EXPIRES', value: (c) => c.expiresAt },
          ],
          'commands waiting',
        );
      return Exit.Ok;
    },
  }),
  command<string>({
    name: 'devices clear-queue',
    usage: 'mdmctl devices clear-queue <udid>',
    summary: 'Cancel every command waiting for a device',
    ...onePositional('udid'),
    run: async (ctx, udid) => report(ctx, await ctx.api.json<{ canceled: number }>('DELETE', devicePath(udid, '/queue')), (a) => `canceled ${a.canceled} command(s) for ${udid}`),
  }),
  command<string[]>({
    name: 'devices push',
    usage: 'mdmctl devices push --udid X [--udid Y ...]',
    summary: 'Wake devices now: they connect and fetch what is queued',
    options: { udid: { type: 'string', short: 'u', multiple: true } },
    parse: udidsOf,
    run: async (ctx, udids) => report(ctx, await ctx.api.json('POST', '/v1/push', { udids }), () => `pushed ${udids.length} device(s)`),
  }),
  command<string>({
    name: 'devices profiles',
    usage: 'mdmctl devices profiles <udid>',
    summary: 'A device\'s profiles and their state (pending, installed, failed, blocked, removing, removed)',
    ...onePositional('udid'),
    run: async (ctx, udid) => {
      const answer = await ctx.api.json<{ udid: string; profiles: DeviceProfileRow[] }>('GET', devicePath(udid, '/profiles'));
      if (ctx.global.json) printJson(ctx, answer);
      else printRows(ctx, answer.profiles, DEVICE_PROFILE_COLUMNS, 'profiles for this device');
      return Exit.Ok;
    },
  }),
  command<string>({
    name: 'devices reconcile',
    usage: 'mdmctl devices reconcile <udid>',
    summary: 'Re-read the device\'s profiles (ProfileList) and retry what failed',
    ...onePositional('udid'),
    run: async (ctx, udid) => report(ctx, await ctx.api.json('POST', devicePath(udid, '/profiles/reconcile')), () => `asked ${udid} for its profiles; failed ones are retried`),
  }),
];
