import { z } from 'zod';
import { CommandStatus } from './command-status';
import { EVENT_TYPES } from './events';
import { Udid } from './api';

/**
 * Paging, filtering and sorting of every admin API list, in one vocabulary.
 *
 * Query: `limit` (1..1000, default 100), then either `offset` (>= 0) for lists of things, or `after` (the
 * `next` cursor of the previous page) for the event log; `sort=<field>` from the list's allowlist and
 * `order=asc|desc`; the list's own filters. An unknown parameter, sort field or filter value is a 400 that
 * names what the list takes, so a typo never silently returns an unfiltered list.
 *
 * Answer: the items under the list's plural name (`devices`, `commands`, `events`, ...) beside
 * `total`, `limit` and `offset` (offset lists) or `limit`, `next` and `hasMore` (cursor lists), so a client
 * that reads only `{ <plural>: [...] }` keeps working.
 */

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** The page size rule every list shares. */
export const LIST_LIMIT = { min: 1, max: 1000, default: 100 } as const;

/** One page of an offset list: `total` counts every item the filters match, not just this page. */
export type OffsetPage<K extends string, T> = { [P in K]: T[] } & { total: number; limit: number; offset: number };

/**
 * One page of a cursor list (the event log). `next` is what to send as `after` for the following page
 * (null while nothing has been returned yet: ask again without `after`); `hasMore` says whether it is
 * already waiting, so a follower polls at once rather than after a pause.
 */
export type CursorPage<K extends string, T> = { [P in K]: T[] } & { limit: number; next: string | null; hasMore: boolean };

const Limit = (byDefault: number): z.ZodDefault<z.ZodCoercedNumber<unknown>> =>
  z.coerce.number().int().min(LIST_LIMIT.min).max(LIST_LIMIT.max).default(byDefault);

const Order = z.enum(SORT_ORDERS, { error: () => `must be one of ${SORT_ORDERS.join(', ')}` });

function unknownParameters(names: readonly string[]): z.core.$ZodErrorMap {
  return (issue) =>
    issue.code === 'unrecognized_keys' ? `unknown parameter(s) ${issue.keys.join(', ')}; this list takes ${names.join(', ')}` : undefined;
}

/** Options of an offset list: its sort allowlist and default, its filters. */
export interface OffsetListOptions<S extends readonly [string, ...string[]], F extends z.ZodRawShape> {
  sort: S;
  defaultSort: S[number];
  defaultOrder: SortOrder;
  filters: F;
  /** Only where an older default must be kept (the command's device page answered 1000 before paging). */
  defaultLimit?: number;
}

/** The query schema of an offset-paged list: `{ ...filters, limit, offset, sort, order }`. */
export function offsetListQuery<const S extends readonly [string, ...string[]], F extends z.ZodRawShape>(opts: OffsetListOptions<S, F>) {
  const names = [...Object.keys(opts.filters), 'limit', 'offset', 'sort', 'order'];
  return z.strictObject(
    {
      ...opts.filters,
      limit: Limit(opts.defaultLimit ?? LIST_LIMIT.default),
      offset: z.coerce.number().int().min(0).default(0),
      sort: z.enum(opts.sort, { error: () => `must be one of ${opts.sort.join(', ')}` }).default(opts.defaultSort),
      order: Order.default(opts.defaultOrder),
    },
    { error: unknownParameters(names) },
  );
}

/**
 * A position in the event log: `<txid>.<seq>` as handed out in `next` and in each event's `cursor`. A bare
 * `<seq>` (an event's number) means "after that event".
 */
export const EventCursor = z
  .string()
  .regex(/^(\d{1,20}\.\d{1,19}|\d{1,19})$/, 'must be a cursor from a previous page (next, or an event\'s cursor)');

/** The query schema of a cursor-paged list (the log): `{ ...filters, limit, after, order }`. */
export function cursorListQuery<F extends z.ZodRawShape>(opts: { filters: F; defaultOrder: SortOrder }) {
  const names = [...Object.keys(opts.filters), 'limit', 'after', 'order'];
  return z.strictObject(
    {
      ...opts.filters,
      limit: Limit(LIST_LIMIT.default),
      after: EventCursor.optional(),
      order: Order.default(opts.defaultOrder),
    },
    { error: unknownParameters(names) },
  );
}

/** The parameter names of a list query schema, for the route table and the OpenAPI document. */
export function listQueryParams(schema: { shape: object }): string[] {
  return Object.keys(schema.shape);
}

/** `?enrolled=true|false`. */
const Bool = z.enum(['true', 'false'], { error: () => 'must be true or false' }).transform((v) => v === 'true');

/** A comma-separated list of values from a fixed vocabulary, e.g. `status=ERROR,FORMAT_ERROR`. */
function csvOf<const V extends readonly [string, ...string[]]>(values: V) {
  const allowed = new Set<string>(values);
  return z
    .string()
    .transform((raw, ctx) => {
      const items = [...new Set(raw.split(',').map((s) => s.trim()))];
      const wrong = items.filter((s) => !allowed.has(s));
      if (wrong.length) {
        ctx.addIssue({ code: 'custom', message: `unknown value(s) ${wrong.join(', ') || '""'}; one or more of ${values.join(', ')}` });
        return z.NEVER;
      }
      return items as Array<V[number]>;
    });
}

/** A dotted version as iOS reports it (`17.5`, `18.0.1`): digits and dots only. */
const Version = z.string().regex(/^\d{1,4}(\.\d{1,4}){0,3}$/, 'must be a version such as 17, 17.5 or 17.5.1');

const COMMAND_STATUSES = Object.values(CommandStatus) as [CommandStatus, ...CommandStatus[]];

/**
 * `GET /v1/devices`. `os` is a version prefix on dot boundaries (`17` matches 17, 17.5 and 17.5.1, not 170);
 * `osMin` compares versions numerically (17.10 is above 17.9); `model` matches the model name (`iPad`), the
 * product name (`iPad14,1`) or the model number, whole and case-insensitively; `serial` is exact; `search` finds
 * a part of the name, serial number, UDID, model name, product name or model number, case-insensitively. Devices
 * never heard from (no `lastSeenAt`) and other missing values sort last in either order.
 */
export const DeviceListQuery = offsetListQuery({
  sort: ['createdAt', 'enrolledAt', 'lastSeenAt', 'udid', 'serialNumber', 'osVersion'],
  defaultSort: 'createdAt',
  defaultOrder: 'asc',
  filters: {
    enrolled: Bool.optional(),
    supervised: Bool.optional(),
    os: Version.optional(),
    osMin: Version.optional(),
    model: z.string().min(1).max(100).optional(),
    serial: z.string().min(1).max(64).optional(),
    search: z.string().trim().min(1, 'search must not be empty').max(100).optional(),
  },
});
export type DeviceListQuery = z.infer<typeof DeviceListQuery>;
export type DeviceSortField = DeviceListQuery['sort'];

/** `GET /v1/devices/{udid}/commands`: newest first unless asked otherwise. */
export const DeviceCommandsQuery = offsetListQuery({
  sort: ['queuedAt', 'completedAt', 'status', 'requestType'],
  defaultSort: 'queuedAt',
  defaultOrder: 'desc',
  filters: {
    status: csvOf(COMMAND_STATUSES).optional(),
    requestType: z.string().min(1).max(200).optional(),
  },
});
export type DeviceCommandsQuery = z.infer<typeof DeviceCommandsQuery>;

/**
 * The device page of `GET /v1/commands/{uuid}`: `total` counts the devices matching `status` (all targeted
 * devices without it), while `counts` always covers every status. Its default page stays 1000 devices, as
 * many as the answer to `POST /v1/commands` lists.
 */
export const CommandDevicesQuery = offsetListQuery({
  sort: ['queuedAt', 'udid', 'status', 'completedAt'],
  defaultSort: 'queuedAt',
  defaultOrder: 'asc',
  defaultLimit: 1000,
  filters: { status: csvOf(COMMAND_STATUSES).optional() },
});
export type CommandDevicesQuery = z.infer<typeof CommandDevicesQuery>;

/** `GET /v1/commands`: the commands operators and services queued, newest first, each with its counts per status. */
export const CommandListQuery = offsetListQuery({
  sort: ['createdAt', 'requestType'],
  defaultSort: 'createdAt',
  defaultOrder: 'desc',
  filters: {
    requestType: z.string().min(1).max(200).optional(),
    since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  },
});
export type CommandListQuery = z.infer<typeof CommandListQuery>;

/** `GET /v1/profiles`: `payloadType` keeps the profiles carrying a payload of that type. */
export const ProfileListQuery = offsetListQuery({
  sort: ['identifier', 'name', 'createdAt', 'updatedAt'],
  defaultSort: 'identifier',
  defaultOrder: 'asc',
  filters: { payloadType: z.string().min(1).max(200).optional() },
});
export type ProfileListQuery = z.infer<typeof ProfileListQuery>;

/** `GET /v1/device-groups`: `kind=static` (listed members) or `dynamic` (a rule). */
export const DeviceGroupListQuery = offsetListQuery({
  sort: ['name', 'createdAt'],
  defaultSort: 'name',
  defaultOrder: 'asc',
  filters: { kind: z.enum(['static', 'dynamic'], { error: () => 'must be static or dynamic' }).optional() },
});
export type DeviceGroupListQuery = z.infer<typeof DeviceGroupListQuery>;

/** `GET /v1/api-keys`: `revoked=false` for the keys that still work (or may, until they expire). */
export const ApiKeyListQuery = offsetListQuery({
  sort: ['createdAt', 'name', 'lastUsedAt'],
  defaultSort: 'createdAt',
  defaultOrder: 'asc',
  filters: { revoked: Bool.optional() },
});
export type ApiKeyListQuery = z.infer<typeof ApiKeyListQuery>;

/** `GET /v1/webhooks`. */
export const WebhookListQuery = offsetListQuery({
  sort: ['createdAt', 'url'],
  defaultSort: 'createdAt',
  defaultOrder: 'asc',
  filters: { enabled: Bool.optional() },
});
export type WebhookListQuery = z.infer<typeof WebhookListQuery>;

/** `GET /v1/enrollment-configurations`. */
export const EnrollmentConfigurationListQuery = offsetListQuery({
  sort: ['name', 'createdAt'],
  defaultSort: 'name',
  defaultOrder: 'asc',
  filters: { topic: z.string().min(1).optional() },
});
export type EnrollmentConfigurationListQuery = z.infer<typeof EnrollmentConfigurationListQuery>;

/** `GET /v1/apns/certificates`: `status` and `warnings` of the answer still sum up every stored certificate. */
export const ApnsCertificateListQuery = offsetListQuery({
  sort: ['createdAt', 'notAfter', 'topic'],
  defaultSort: 'createdAt',
  defaultOrder: 'asc',
  filters: {
    topic: z.string().min(1).optional(),
    status: csvOf(['ok', 'expiring', 'expired']).optional(),
  },
});
export type ApnsCertificateListQuery = z.infer<typeof ApnsCertificateListQuery>;

/**
 * Types of the `command.*` events, one per delivery status change, written by the database itself (the
 * `command_event_type()` function of the event-feed migration: PUSH is `delivered`, NOTNOW `not_now`, the
 * rest their lower-case status).
 */
export const COMMAND_EVENT_TYPES: readonly string[] = COMMAND_STATUSES.map(
  (s) => `command.${s === CommandStatus.Push ? 'delivered' : s === CommandStatus.NotNow ? 'not_now' : s.toLowerCase()}`,
);

/** Every event type the log can hold (the catalog may list the `command.*` types itself). */
export const ALL_EVENT_TYPES: readonly string[] = [...new Set<string>([...EVENT_TYPES, ...COMMAND_EVENT_TYPES])];

/** An event type filter: exact types and `prefix.*` patterns, e.g. `command.*,device.enrolled`. */
export interface EventTypeFilter {
  exact: string[];
  prefixes: string[];
}

const EventTypes = z.string().transform((raw, ctx): EventTypeFilter => {
  const filter: EventTypeFilter = { exact: [], prefixes: [] };
  for (const item of new Set(raw.split(',').map((s) => s.trim()))) {
    if (item.endsWith('.*')) {
      const prefix = item.slice(0, -1);
      if (ALL_EVENT_TYPES.some((t) => t.startsWith(prefix))) filter.prefixes.push(prefix);
      else ctx.addIssue({ code: 'custom', message: `no event type starts with ${prefix}` });
    } else if (ALL_EVENT_TYPES.includes(item)) {
      filter.exact.push(item);
    } else {
      ctx.addIssue({ code: 'custom', message: `unknown event type ${item || '""'}; one of ${ALL_EVENT_TYPES.join(', ')}, or a prefix such as command.*` });
    }
  }
  return filter;
});

/** `GET /v1/events`: the log in commit order (or newest first), followed with `after`. */
export const EventListQuery = cursorListQuery({
  defaultOrder: 'asc',
  filters: {
    udid: Udid.optional(),
    type: EventTypes.optional(),
    /** Events that happened at or after this instant (ISO 8601). */
    since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    /** Events that happened before this instant (ISO 8601). */
    until: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  },
});
export type EventListQuery = z.infer<typeof EventListQuery>;
