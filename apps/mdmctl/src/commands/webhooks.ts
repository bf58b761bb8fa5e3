import { randomBytes } from 'node:crypto';
import { WEBHOOK_FORMATS } from '@mdm/contracts';
import { type Command, command, type Context, Exit, printJson, UsageError, type Values } from '../command';
import { deleteResource, printList, printResource, report } from '../list';
import { flag, LIST_OPTIONS, type ListParams, listParams, many, onePositional, required, str, yesNo } from '../options';

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  format: string;
  enabled: boolean;
  secretHint: string;
}

interface DeliveryRow {
  id: string;
  eventType: string;
  udid: string | null;
  status: string;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt?: string;
}

const hookPath = (id: string, rest = ''): string => `/v1/webhooks/${encodeURIComponent(id)}${rest}`;

const FORMAT_USAGE = WEBHOOK_FORMATS.join('|');

/** The fields of a create or update from its flags. */
function webhookFields(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (str(v, 'endpoint')) body['url'] = str(v, 'endpoint');
  if (str(v, 'secret')) body['secret'] = str(v, 'secret');
  const events = many(v, 'event');
  if (events.length) body['events'] = events;
  if (str(v, 'format')) body['format'] = str(v, 'format');
  if (flag(v, 'enable') && flag(v, 'disable')) throw new UsageError('--enable and --disable exclude each other');
  if (flag(v, 'enable') || flag(v, 'disable')) body['enabled'] = flag(v, 'enable');
  return body;
}

const FIELD_OPTIONS = {
  // Not --url: that is the gateway's address, a global option.
  endpoint: { type: 'string' },
  secret: { type: 'string' },
  event: { type: 'string', short: 'e', multiple: true },
  format: { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
} as const;

function printHook(ctx: Context, h: WebhookRow, verb: string): number {
  return report(ctx, h, () => `${verb} webhook ${h.id}: ${h.url} for ${h.events.join(', ')} (${h.format}${h.enabled ? '' : ', disabled'})`);
}

export const webhookCommands: readonly Command[] = [
  command<Record<string, unknown>>({
    name: 'webhooks create',
    usage: `mdmctl webhooks create --endpoint https://... --event 'command.*' [--event device.enrolled ...] [--secret S] [--format ${FORMAT_USAGE}] [--disable]`,
    summary: 'Subscribe a URL to events (types, prefix.* patterns, or * for all); without --secret one is made and printed this once',
    options: FIELD_OPTIONS,
    parse: (v) => {
      required(v, 'endpoint', 'the URL events are POSTed to');
      const body = webhookFields(v);
      if (!body['events']) throw new UsageError('name the events with --event (a type, a prefix such as command.*, or *)');
      if (flag(v, 'enable')) throw new UsageError('a new webhook is enabled unless --disable');
      return body;
    },
    run: async (ctx, fields) => {
      const generated = fields['secret'] === undefined ? randomBytes(32).toString('base64url') : undefined;
      const hook = await ctx.api.json<WebhookRow>('POST', '/v1/webhooks', { ...fields, ...(generated ? { secret: generated } : {}) });
      if (ctx.global.json) printJson(ctx, generated ? { ...hook, secret: generated } : hook);
      else {
        printHook(ctx, hook, 'created');
        if (generated) {
          ctx.io.stdout(`secret: ${generated}\n`);
          ctx.io.stderr('mdmctl: the signing secret is shown this once; give it to the receiver to verify X-MDM-Signature\n');
        }
      }
      return Exit.Ok;
    },
  }),
  command<ListParams>({
    name: 'webhooks list',
    usage: 'mdmctl webhooks list [--enabled | --disabled] [--sort createdAt|url] [--order asc|desc] [--limit N] [--offset N] [--all]',
    summary: 'Webhooks (never their secrets)',
    options: { enabled: { type: 'boolean' }, disabled: { type: 'boolean' }, ...LIST_OPTIONS },
    parse: (v) => {
      const p = listParams(v);
      yesNo(v, p.query, [['enabled', 'disabled', 'enabled']]);
      return p;
    },
    run: (ctx, p) =>
      printList<WebhookRow>(
        ctx,
        '/v1/webhooks',
        'webhooks',
        p,
        [
          { header: 'ID', value: (h) => h.id },
          { header: 'URL', value: (h) => h.url },
          { header: 'EVENTS', value: (h) => h.events.join(',') },
          { header: 'FORMAT', value: (h) => h.format },
          { header: 'ENABLED', value: (h) => (h.enabled ? 'yes' : 'no') },
        ],
        'webhooks',
      ),
  }),
  command<string>({
    name: 'webhooks get',
    usage: 'mdmctl webhooks get <id>',
    summary: 'One webhook',
    ...onePositional('id'),
    run: (ctx, id) => printResource(ctx, hookPath(id)),
  }),
  command<{ id: string; body: Record<string, unknown> }>({
    name: 'webhooks update',
    usage: `mdmctl webhooks update <id> [--endpoint URL] [--secret S] [--event E ...] [--format ${FORMAT_USAGE}] [--enable | --disable]`,
    summary: 'Change a webhook (--event replaces the whole list)',
    options: FIELD_OPTIONS,
    positionals: ['id'],
    parse: (v, [id]) => {
      const body = webhookFields(v);
      if (!Object.keys(body).length) throw new UsageError('name something to change: --endpoint, --secret, --event, --format, --enable or --disable');
      return { id: id!, body };
    },
    run: async (ctx, c) => printHook(ctx, await ctx.api.json<WebhookRow>('PATCH', hookPath(c.id), c.body), 'updated'),
  }),
  command<string>({
    name: 'webhooks delete',
    usage: 'mdmctl webhooks delete <id>',
    summary: 'Delete a webhook and its deliveries',
    ...onePositional('id'),
    run: (ctx, id) => deleteResource(ctx, hookPath(id), `webhook ${id}`),
  }),
  command<{ id: string } & ListParams>({
    name: 'webhooks deliveries',
    usage: 'mdmctl webhooks deliveries <id> [--status pending,retrying,delivered,dead] [--type command.*] [--order asc|desc] [--limit N] [--offset N] [--all]',
    summary: 'A webhook\'s deliveries, newest first; `webhooks delivery <id> <deliveryId>` shows every attempt of one',
    options: { status: { type: 'string' }, type: { type: 'string', short: 't' }, ...LIST_OPTIONS },
    positionals: ['id'],
    parse: (v, [id]) => ({ id: id!, ...listParams(v, { status: 'status', type: 'type' }) }),
    run: (ctx, c) =>
      printList<DeliveryRow>(
        ctx,
        hookPath(c.id, '/deliveries'),
        'deliveries',
        c,
        [
          { header: 'ID', value: (d) => d.id },
          { header: 'EVENT', value: (d) => d.eventType },
          { header: 'UDID', value: (d) => d.udid },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'ATTEMPTS', value: (d) => d.attempts },
          { header: 'LAST', value: (d) => [d.lastHttpStatus, d.lastError].filter((x) => x !== null).join(' ') },
        ],
        'deliveries',
      ),
  }),
  command<{ id: string; deliveryId: string }>({
    name: 'webhooks delivery',
    usage: 'mdmctl webhooks delivery <id> <deliveryId>',
    summary: 'One delivery with every attempt',
    positionals: ['id', 'deliveryId'],
    parse: (_v, [id, deliveryId]) => ({ id: id!, deliveryId: deliveryId! }),
    run: (ctx, c) => printResource(ctx, hookPath(c.id, `/deliveries/${encodeURIComponent(c.deliveryId)}`)),
  }),
  command<{ id: string; deliveryId: string }>({
    name: 'webhooks retry',
    usage: 'mdmctl webhooks retry <id> <deliveryId>',
    summary: 'Send a delivery again now (also a dead or delivered one), with a fresh retry window',
    positionals: ['id', 'deliveryId'],
    parse: (_v, [id, deliveryId]) => ({ id: id!, deliveryId: deliveryId! }),
    run: async (ctx, c) =>
      report(ctx, await ctx.api.json<DeliveryRow>('POST', hookPath(c.id, `/deliveries/${encodeURIComponent(c.deliveryId)}/retry`)), (d) => `delivery ${d.id} queued again (${d.status})`),
  }),
  command<{ id: string; body: Record<string, unknown> }>({
    name: 'webhooks replay',
    usage: 'mdmctl webhooks replay <id> --from ISO --to ISO [--type command.* ...]',
    summary: 'Queue the webhook\'s past events of [from, to) again',
    options: { from: { type: 'string' }, to: { type: 'string' }, type: { type: 'string', short: 't', multiple: true } },
    positionals: ['id'],
    parse: (v, [id]) => {
      const types = many(v, 'type');
      return { id: id!, body: { from: required(v, 'from'), to: required(v, 'to'), ...(types.length ? { types } : {}) } };
    },
    run: async (ctx, c) =>
      report(ctx, await ctx.api.json<{ queued: number; truncated: boolean }>('POST', hookPath(c.id, '/replay'), c.body), (a) => `queued ${a.queued} event(s) again${a.truncated ? ' (truncated: replay again from the last one for more)' : ''}`),
  }),
];
