import { queryString } from '../api-client';
import { type Command, command, Exit, UsageError } from '../command';
import { type EventRow, eventBlock } from '../format';
import { pause } from '../list';
import { flag, integer, queryOf } from '../options';

interface TailParams {
  query: Record<string, string>;
  lines: number;
  follow: boolean;
  durationMs?: number;
  intervalMs: number;
}

type EventsPage = { events: Array<EventRow & { id: string; seq: number; cursor: string }>; next: string | null; hasMore: boolean };

export const eventCommands: readonly Command[] = [
  command<TailParams>({
    name: 'events tail',
    usage: 'mdmctl events tail [--type command.*] [--udid X] [--since ISO] [--lines N] [--once] [--duration S] [--interval MS]',
    summary: 'The last events (--lines, default 10, or all --since), then new ones as they happen until Ctrl-C or --duration;\n' +
      '      plist and base64 data in them is shown decoded',
    options: {
      type: { type: 'string', short: 't' },
      udid: { type: 'string', short: 'u' },
      since: { type: 'string' },
      lines: { type: 'string', short: 'n' },
      once: { type: 'boolean' },
      duration: { type: 'string' },
      interval: { type: 'string' },
    },
    parse: (v) => {
      if (v['since'] !== undefined && v['lines'] !== undefined) throw new UsageError('--since shows everything from then on: leave out --lines');
      const duration = integer(v, 'duration', 1, 31_536_000);
      if (flag(v, 'once') && duration !== undefined) throw new UsageError('--once does not follow, so --duration has nothing to bound');
      return {
        query: queryOf(v, { type: 'type', udid: 'udid', since: 'since' }),
        lines: integer(v, 'lines', 0, 1000) ?? 10,
        follow: !flag(v, 'once'),
        durationMs: duration === undefined ? undefined : duration * 1000,
        intervalMs: integer(v, 'interval', 100, 60_000) ?? 1000,
      };
    },
    /** The last events, then new ones as they settle, following the log's cursor. */
    run: async (ctx, c) => {
      let shown = 0;
      const print = (events: EventsPage['events']): void => {
        for (const e of events) ctx.io.stdout(ctx.global.json ? `${JSON.stringify(e)}\n` : `${eventBlock(e)}\n`);
        shown += events.length;
      };
      const nothingShown = (): number => {
        if (!shown && !ctx.global.json) ctx.io.stdout('no events\n');
        return Exit.Ok;
      };
      const read = (query: Record<string, string | number | undefined>): Promise<EventsPage> =>
        ctx.api.json<EventsPage>('GET', `/v1/events${queryString({ ...c.query, ...query })}`);
      let cursor: string | null = null;
      if (c.query['since'] === undefined) {
        // Newest first, then shown oldest first; the newest one's cursor is where following starts.
        const latest = await read({ order: 'desc', limit: Math.max(c.lines, 1) });
        cursor = latest.events[0]?.cursor ?? null;
        print(latest.events.slice(0, c.lines).reverse());
        if (!c.follow) return latest.events.length ? Exit.Ok : nothingShown();
      }
      const deadline = c.durationMs === undefined ? Infinity : Date.now() + c.durationMs;
      // On stderr, so stdout stays the events: from here on every new event is shown (a script can wait for this).
      if (c.follow) ctx.io.stderr(`mdmctl: following the event log ${c.durationMs === undefined ? 'until Ctrl-C' : `for ${c.durationMs / 1000} s`}\n`);
      for (;;) {
        const page = await read({ limit: 1000, after: cursor ?? undefined });
        print(page.events);
        cursor = page.next ?? cursor;
        if (!c.follow && !page.hasMore) return nothingShown();
        if (Date.now() >= deadline) return Exit.Ok;
        if (page.hasMore) continue;
        if (!(await pause(Math.min(c.intervalMs, deadline - Date.now()), ctx.io.signal))) return Exit.Ok;
      }
    },
  }),
];
