import { type Options, UsageError, type Values } from './command';

/** Readers of parsed option values, and option sets several commands share. */

export const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

export const flag = (values: Values, name: string): boolean => values[name] === true;

/** A repeatable string option (`--udid A --udid B`), in order. */
export const many = (values: Values, name: string): string[] => {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
};

export function required(values: Values, name: string, hint = ''): string {
  const v = str(values, name);
  if (v === undefined) throw new UsageError(`--${name} is required${hint ? ` (${hint})` : ''}`);
  return v;
}

export function integer(values: Values, name: string, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${raw}`);
  return Number(raw);
}

/** A JSON object given on the command line (`--json '{...}'`, `--rule '{...}'`). */
export function jsonObject(raw: string, option: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--${option} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--${option} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Copies the flags that are set into API query parameters, renamed where the API's name differs. */
export function queryOf(values: Values, names: Record<string, string>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [option, param] of Object.entries(names)) {
    const v = str(values, option);
    if (v !== undefined) query[param] = v;
  }
  return query;
}

/** `--yes` / `--no` pairs that set one boolean query parameter, e.g. `--enrolled` / `--unenrolled`. */
export function yesNo(values: Values, query: Record<string, string>, pairs: ReadonlyArray<readonly [yes: string, no: string, param: string]>): void {
  for (const [yes, no, param] of pairs) {
    if (flag(values, yes) && flag(values, no)) throw new UsageError(`--${yes} and --${no} exclude each other`);
    if (flag(values, yes) || flag(values, no)) query[param] = String(flag(values, yes));
  }
}

/** Paging and sorting, as every list of the API takes them. */
export const LIST_OPTIONS: Options = {
  sort: { type: 'string' },
  order: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  all: { type: 'boolean' },
};

export const LIST_USAGE = '[--sort F] [--order asc|desc] [--limit N] [--offset N] [--all]';

export interface ListParams {
  query: Record<string, string>;
  all: boolean;
}

/** The list options and the given filters (option name → query parameter) as a list request. */
export function listParams(values: Values, filters: Record<string, string> = {}): ListParams {
  const query = queryOf(values, { ...filters, sort: 'sort', order: 'order', limit: 'limit', offset: 'offset' });
  if (flag(values, 'all') && query['offset'] !== undefined) throw new UsageError('--all starts at the first item: leave out --offset');
  return { query, all: flag(values, 'all') };
}

export const WATCH_OPTIONS: Options = {
  watch: { type: 'boolean', short: 'w' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
};

export interface WatchOptions {
  timeoutMs: number;
  intervalMs: number;
}

export function watchOf(values: Values): WatchOptions | undefined {
  if (!flag(values, 'watch')) {
    if (values['timeout'] !== undefined || values['interval'] !== undefined) throw new UsageError('--timeout and --interval go with --watch');
    return undefined;
  }
  return { timeoutMs: (integer(values, 'timeout', 1, 86_400) ?? 300) * 1000, intervalMs: integer(values, 'interval', 100, 60_000) ?? 1000 };
}

/** `<id>` positionals that must be UUIDs: a typo is a usage error, not a 400 from the server. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/** The `--udid` values of a command that needs at least one device. */
export function udidsOf(values: Values): string[] {
  const udids = many(values, 'udid');
  if (!udids.length) throw new UsageError('name at least one device with --udid');
  return udids;
}

/** A command whose only argument is one positional (`<id>`, `<udid>`), parsed as that string. */
export const onePositional = (name: string): { positionals: readonly string[]; parse: (values: Values, positionals: string[]) => string } => ({
  positionals: [name],
  parse: (_values, [value]) => value!,
});
