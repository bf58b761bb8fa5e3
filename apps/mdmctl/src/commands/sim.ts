import { type Command, command } from '../command';
import { integer, str } from '../options';
import type { SimStartOptions } from '../sim/sim-start';

export const simCommands: readonly Command[] = [
  command<SimStartOptions>({
    name: 'sim start',
    usage: 'mdmctl sim start [--count N] [--poll S] [--dir D] [--pushes URL]',
    summary: 'Local trial: enroll N simulated iPhones (kept in .mdm/sim) and keep them answering pushes and commands until Ctrl-C',
    options: { count: { type: 'string', short: 'n' }, poll: { type: 'string' }, dir: { type: 'string' }, pushes: { type: 'string' } },
    parse: (v) => ({ count: integer(v, 'count', 1, 1000), pollSeconds: integer(v, 'poll', 1, 86_400) ?? 60, dir: str(v, 'dir'), pushesUrl: str(v, 'pushes') }),
    // Loaded only here: the device simulator (test kit) is heavy and no other command needs it.
    run: async (ctx, options) => (await import('../sim/sim-start')).simStart(ctx.api, options, ctx.io),
  }),
];
