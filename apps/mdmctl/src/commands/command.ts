import { CommandStatus, FINAL_COMMAND_STATUSES } from '@mdm/contracts';
import { DEFAULT_DEVICE_INFORMATION_QUERIES } from '@mdm/protocol';
import { type Command, command, type Context, Exit, printJson, UsageError } from '../command';
import { countsLine, DELIVERY_COLUMNS, type DeliveryRow, deliveryDetail, pageFooter, table } from '../format';
import { pause, printList, report } from '../list';
import { flag, jsonObject, LIST_OPTIONS, type ListParams, listParams, many, str, udidsOf, WATCH_OPTIONS, type WatchOptions, watchOf } from '../options';

interface CommandAnswer {
  commandUuid: string;
  requestType: string;
  total: number;
  counts: Record<string, number>;
  devices: DeliveryRow[];
  warnings?: string[];
}

interface CommandSummary {
  commandUuid: string;
  requestType: string;
  createdAt: string;
  expiresAt: string | null;
  total: number;
  counts: Record<string, number>;
}

export interface SendParams {
  udids: string[];
  command: { RequestType: string } & Record<string, unknown>;
  push: boolean;
  raw: boolean;
  expiresAt?: string;
  watch: WatchOptions | undefined;
}

/** The command's keys from --type, --json and --query; DeviceInformation without queries asks for the usual inventory. */
export function commandBody(type: string | undefined, json: string | undefined, queries: string[]): SendParams['command'] {
  const extra = json === undefined ? {} : jsonObject(json, 'json');
  const fromJson = typeof extra['RequestType'] === 'string' ? extra['RequestType'] : undefined;
  if (type !== undefined && fromJson !== undefined && type !== fromJson) throw new UsageError(`--type ${type} and the RequestType ${fromJson} in --json differ`);
  const requestType = type ?? fromJson;
  if (!requestType) throw new UsageError('name the command with --type (e.g. --type DeviceInformation)');
  if (queries.length) {
    if (extra['Queries'] !== undefined) throw new UsageError('give the queries with --query or in --json, not both');
    extra['Queries'] = queries;
  }
  if (requestType === 'DeviceInformation' && extra['Queries'] === undefined) extra['Queries'] = [...DEFAULT_DEVICE_INFORMATION_QUERIES];
  if (requestType !== 'DeviceInformation' && queries.length) throw new UsageError('--query goes with --type DeviceInformation');
  return { ...extra, RequestType: requestType };
}

const FINAL = new Set<string>(FINAL_COMMAND_STATUSES);

/** A command's status per device; with `watch`, polled and printed as it changes until every device is final. */
async function commandStatus(ctx: Context, commandUuid: string, watch: WatchOptions | undefined): Promise<number> {
  const path = `/v1/commands/${encodeURIComponent(commandUuid)}?limit=1000`;
  const get = (): Promise<CommandAnswer> => ctx.api.json<CommandAnswer>('GET', path);
  // The counts and the device page are two reads, so the rows decide whenever the page holds every device:
  // a page that still says PUSH after counts said ACKNOWLEDGED would otherwise never print the answer.
  const whole = (a: CommandAnswer): boolean => a.devices.length >= a.total;
  const done = (a: CommandAnswer): boolean =>
    whole(a) ? a.devices.every((d) => FINAL.has(d.status)) : Object.entries(a.counts).every(([status, n]) => !n || FINAL.has(status));
  const verdict = (a: CommandAnswer): number =>
    (whole(a) ? a.devices.every((d) => d.status === CommandStatus.Acknowledged) : (a.counts[CommandStatus.Acknowledged] ?? 0) === a.total)
      ? Exit.Ok
      : Exit.CommandFailed;
  let answer = await get();
  if (!watch) {
    if (ctx.global.json) {
      printJson(ctx, answer);
    } else {
      ctx.io.stdout(`command ${answer.commandUuid} (${answer.requestType}): ${countsLine(answer.counts)}\n${table(answer.devices, DELIVERY_COLUMNS)}\n`);
      if (answer.devices.length < answer.total) ctx.io.stdout(`${pageFooter({ total: answer.total, offset: 0 }, answer.devices.length, 'devices')}\n`);
    }
    return Exit.Ok;
  }
  const deadline = Date.now() + watch.timeoutMs;
  const seen = new Map<string, string>();
  let lastCounts = '';
  for (;;) {
    for (const d of answer.devices) {
      if (seen.get(d.udid) === d.status) continue;
      seen.set(d.udid, d.status);
      if (ctx.global.json) ctx.io.stdout(`${JSON.stringify({ commandUuid, ...d })}\n`);
      else ctx.io.stdout(`${new Date().toISOString()}  ${d.udid}  ${d.status}${deliveryDetail(d) ? `  ${deliveryDetail(d)}` : ''}\n`);
    }
    // Beyond the first page only the counts are followed.
    const counts = countsLine(answer.counts);
    if (answer.total > answer.devices.length && counts !== lastCounts && !ctx.global.json) ctx.io.stdout(`${counts}\n`);
    lastCounts = counts;
    if (done(answer)) {
      if (!ctx.global.json) ctx.io.stdout(`final: ${counts}\n`);
      return verdict(answer);
    }
    if (Date.now() >= deadline) {
      ctx.io.stderr(`mdmctl: command ${commandUuid} still not final after ${watch.timeoutMs / 1000} s: ${counts}\n`);
      return Exit.TimedOut;
    }
    if (!(await pause(Math.min(watch.intervalMs, deadline - Date.now()), ctx.io.signal))) return Exit.Interrupted;
    answer = await get();
  }
}

export const commandCommands: readonly Command[] = [
  command<SendParams>({
    name: 'command send',
    usage:
      'mdmctl command send --udid X [--udid Y ...] --type DeviceInformation [--query OSVersion ...] [--json \'{"Queries": ["OSVersion"]}\']\n' +
      '                    [--no-push] [--raw] [--expires ISO] [--watch [--timeout S] [--interval MS]]',
    summary:
      'Queue a command for devices; --json carries its keys. DeviceInformation without --query asks for the usual inventory\n' +
      '      (model, OS, serial, supervision, capacity, network...); --query, repeated, asks for exactly those. --watch follows it\n' +
      '      until every device reached a final status',
    options: {
      udid: { type: 'string', short: 'u', multiple: true },
      type: { type: 'string', short: 't' },
      json: { type: 'string' },
      query: { type: 'string', short: 'q', multiple: true },
      'no-push': { type: 'boolean' },
      raw: { type: 'boolean' },
      expires: { type: 'string' },
      ...WATCH_OPTIONS,
    },
    parse: (v) => {
      return {
        udids: udidsOf(v),
        command: commandBody(str(v, 'type'), str(v, 'json'), many(v, 'query')),
        push: !flag(v, 'no-push'),
        raw: flag(v, 'raw'),
        expiresAt: str(v, 'expires'),
        watch: watchOf(v),
      };
    },
    run: async (ctx, c) => {
      const created = await ctx.api.json<CommandAnswer>('POST', '/v1/commands', {
        udids: c.udids,
        command: c.command,
        push: c.push,
        raw: c.raw,
        ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
      });
      ctx.io.stdout(`command ${created.commandUuid} (${created.requestType}) for ${created.total} device(s): ${countsLine(created.counts)}\n`);
      for (const w of created.warnings ?? []) ctx.io.stdout(`warning: ${w}\n`);
      if (!c.watch) {
        const blocked = created.devices.filter((d) => d.status === CommandStatus.Blocked);
        if (blocked.length) ctx.io.stdout(`${table(blocked, DELIVERY_COLUMNS)}\n`);
        return Exit.Ok;
      }
      return commandStatus(ctx, created.commandUuid, c.watch);
    },
  }),
  command<{ commandUuid: string; watch: WatchOptions | undefined }>({
    name: 'command status',
    usage: 'mdmctl command status <commandUuid> [--watch [--timeout S] [--interval MS]]',
    summary: 'A command\'s status per device',
    options: { ...WATCH_OPTIONS },
    positionals: ['commandUuid'],
    parse: (v, [commandUuid]) => ({ commandUuid: commandUuid!, watch: watchOf(v) }),
    run: (ctx, c) => commandStatus(ctx, c.commandUuid, c.watch),
  }),
  command<ListParams>({
    name: 'command list',
    usage: 'mdmctl command list [--type RequestType] [--since ISO] [--sort createdAt|requestType] [--order asc|desc] [--limit N] [--offset N] [--all]',
    summary: 'The commands queued, newest first, with how many devices are in each status',
    options: { type: { type: 'string', short: 't' }, since: { type: 'string' }, ...LIST_OPTIONS },
    parse: (v) => listParams(v, { type: 'requestType', since: 'since' }),
    run: (ctx, p) =>
      printList<CommandSummary>(
        ctx,
        '/v1/commands',
        'commands',
        p,
        [
          { header: 'COMMAND', value: (c) => c.commandUuid },
          { header: 'TYPE', value: (c) => c.requestType },
          { header: 'CREATED', value: (c) => c.createdAt },
          { header: 'DEVICES', value: (c) => c.total },
          { header: 'STATUS', value: (c) => countsLine(c.counts) },
        ],
        'commands',
      ),
  }),
  command<{ commandUuid: string; udids: string[] }>({
    name: 'command cancel',
    usage: 'mdmctl command cancel <commandUuid> [--udid X ...]',
    summary: 'Cancel a command on the named devices, or wherever it is still pending',
    options: { udid: { type: 'string', short: 'u', multiple: true } },
    positionals: ['commandUuid'],
    parse: (v, [commandUuid]) => ({ commandUuid: commandUuid!, udids: many(v, 'udid') }),
    run: async (ctx, c) =>
      report(
        ctx,
        await ctx.api.json<{ canceled: number }>('POST', `/v1/commands/${encodeURIComponent(c.commandUuid)}/cancel`, c.udids.length ? { udids: c.udids } : {}),
        (a) => `canceled command ${c.commandUuid} on ${a.canceled} device(s)`,
      ),
  }),
];
