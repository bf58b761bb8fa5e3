/** Reading the API and printing its answers: lists and their pages, one resource, the outcome of a write. */
import { queryString } from './api-client';
import { type Context, Exit, printJson, UsageError } from './command';
import { type Column, pageFooter, table } from './format';
import { isUuid, type ListParams } from './options';

interface Page {
  total: number;
  limit: number;
  offset: number;
  [items: string]: unknown;
}

/** Every item of a list, or one page: `--all` reads on until `total` is reached. */
export async function fetchList<T>(ctx: Context, path: string, key: string, params: ListParams): Promise<{ items: T[]; total: number; limit: number; offset: number }> {
  const read = (query: Record<string, string | number>): Promise<Page> => ctx.api.json<Page>('GET', `${path}${queryString(query)}`);
  let page = await read({ ...(params.all ? { limit: 1000 } : {}), ...params.query });
  const items = [...((page[key] as T[] | undefined) ?? [])];
  while (params.all && (page[key] as T[]).length && items.length < page.total) {
    page = await read({ limit: 1000, ...params.query, offset: items.length });
    items.push(...(page[key] as T[]));
  }
  return { items, total: page.total, limit: params.all ? items.length : page.limit, offset: params.all ? 0 : page.offset };
}

/** A list as a table with a `1-10 of 12 <noun>` line under it (`no <noun>` when empty), or as the API's JSON. */
export async function printList<T>(ctx: Context, path: string, key: string, params: ListParams, columns: readonly Column<T>[], noun: string): Promise<number> {
  const { items, total, limit, offset } = await fetchList<T>(ctx, path, key, params);
  if (ctx.global.json) {
    printJson(ctx, { [key]: items, total, limit, offset });
    return Exit.Ok;
  }
  if (items.length) ctx.io.stdout(`${table(items, columns)}\n`);
  ctx.io.stdout(`${pageFooter({ total, offset }, items.length, noun)}\n`);
  return Exit.Ok;
}

/** Rows without paging (a group's members, a device's profiles): a table, or `no <noun>`. */
export function printRows<T>(ctx: Context, rows: readonly T[], columns: readonly Column<T>[], noun: string): void {
  ctx.io.stdout(rows.length ? `${table(rows, columns)}\n` : `no ${noun}\n`);
}

/** Waits `ms`; false when Ctrl-C came first. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(ms, 0));
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One resource as indented JSON (`get` commands: every field matters, a table would hide some). */
export async function printResource(ctx: Context, path: string): Promise<number> {
  printJson(ctx, await ctx.api.json('GET', path));
  return Exit.Ok;
}

/** A DELETE, confirmed in words (or as `{ deleted }` with --json). */
export async function deleteResource(ctx: Context, path: string, what: string): Promise<number> {
  await ctx.api.json('DELETE', path);
  if (ctx.global.json) printJson(ctx, { deleted: what });
  else ctx.io.stdout(`deleted ${what}\n`);
  return Exit.Ok;
}

/** The answer of a write as JSON (--json), or one line that says what happened. */
export function report<T>(ctx: Context, answer: T, line: (a: T) => string): number {
  if (ctx.global.json) printJson(ctx, answer);
  else ctx.io.stdout(`${line(answer)}\n`);
  return Exit.Ok;
}

/**
 * The id of a resource named by its id or by a unique field (a group's name, a profile's identifier), so
 * operators can use the names they chose.
 */
export async function resolveId(ctx: Context, path: string, key: string, idOrName: string, field: string, noun: string): Promise<string> {
  if (isUuid(idOrName)) return idOrName;
  const { items } = await fetchList<Record<string, unknown>>(ctx, path, key, { query: {}, all: true });
  const found = items.filter((item) => item[field] === idOrName);
  if (found.length !== 1) throw new UsageError(found.length ? `${found.length} ${noun}s are named ${idOrName}: give the id` : `no ${noun} with id or ${field} ${idOrName}`);
  return String(found[0]!['id']);
}
