import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INVENTORY_COMMAND_SPECS, type InventoryCommand } from './inventory-commands';
import type { SimStartOptions } from './sim/sim-start';

/** A mistake in how mdmctl was called: printed with the usage of the command, exit code 2. */
export class UsageError extends Error {}

/** Options every command takes. */
export interface GlobalOptions {
  url?: string;
  key?: string;
  /** Machine-readable output: the API's JSON (one object per line for `events tail`). */
  json: boolean;
}

export type Command =
  | { name: 'help'; topic?: string }
  | { name: 'push-cert upload'; certificate?: string; privateKey?: string; pkcs12?: string; password?: string; force: boolean; add: boolean }
  | { name: 'push-cert list' }
  | { name: 'enrollment-profile'; out?: string; config?: string; topic?: string; accessRights?: number; unsigned: boolean }
  | { name: 'devices list'; query: Record<string, string>; all: boolean }
  | { name: 'devices get'; udid: string }
  | {
      name: 'command send';
      udids: string[];
      command: { RequestType: string } & Record<string, unknown>;
      push: boolean;
      raw: boolean;
      expiresAt?: string;
      watch: WatchOptions | undefined;
    }
  | { name: 'command status'; commandUuid: string; watch: WatchOptions | undefined }
  | { name: 'events tail'; query: Record<string, string>; lines: number; follow: boolean; durationMs?: number; intervalMs: number }
  | InventoryCommand
  | ({ name: 'sim start' } & SimStartOptions);

export interface WatchOptions {
  timeoutMs: number;
  intervalMs: number;
}

export interface Invocation {
  global: GlobalOptions;
  command: Command;
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandSpec {
  name: Exclude<Command['name'], 'help'>;
  usage: string;
  summary: string;
  options: Options;
  positionals: readonly string[];
  build(values: Values, positionals: string[]): Command;
}

const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const WATCH_OPTIONS: Options = {
  watch: { type: 'boolean', short: 'w' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
};

const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};
const flag = (values: Values, name: string): boolean => values[name] === true;

function integer(values: Values, name: string, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${raw}`);
  return Number(raw);
}

function watchOf(values: Values): WatchOptions | undefined {
  if (!flag(values, 'watch')) {
    if (values['timeout'] !== undefined || values['interval'] !== undefined) throw new UsageError('--timeout and --interval go with --watch');
    return undefined;
  }
  return { timeoutMs: (integer(values, 'timeout', 1, 86_400) ?? 300) * 1000, intervalMs: integer(values, 'interval', 100, 60_000) ?? 1000 };
}

/** Copies the flags that are set into API query parameters, renamed where the API's name differs. */
function queryOf(values: Values, names: Record<string, string>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [option, param] of Object.entries(names)) {
    const v = str(values, option);
    if (v !== undefined) query[param] = v;
  }
  return query;
}

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'push-cert upload',
    usage: 'mdmctl push-cert upload (--cert push.pem [--private-key push.key] | --p12 push.p12 [--password PW]) [--force] [--add]',
    summary: 'Upload or renew the push certificate (--force: replace it with another topic; --add: another tenant topic)',
    options: {
      cert: { type: 'string' },
      'private-key': { type: 'string' },
      p12: { type: 'string' },
      password: { type: 'string' },
      force: { type: 'boolean' },
      add: { type: 'boolean' },
    },
    positionals: [],
    build: (v) => {
      const certificate = str(v, 'cert');
      const pkcs12 = str(v, 'p12');
      if ((certificate === undefined) === (pkcs12 === undefined)) throw new UsageError('give the certificate as --cert <PEM file> or as --p12 <PKCS#12 file>');
      if (pkcs12 !== undefined && v['private-key'] !== undefined) throw new UsageError('the key of a PKCS#12 file is inside it: leave out --private-key');
      if (certificate !== undefined && v['password'] !== undefined) throw new UsageError('--password goes with --p12');
      if (flag(v, 'force') && flag(v, 'add')) throw new UsageError('--force replaces the stored topic, --add stores another one: pick one');
      return { name: 'push-cert upload', certificate, privateKey: str(v, 'private-key'), pkcs12, password: str(v, 'password'), force: flag(v, 'force'), add: flag(v, 'add') };
    },
  },
  {
    name: 'push-cert list',
    usage: 'mdmctl push-cert list',
    summary: 'The stored push certificates with topic, expiry and warnings',
    options: {},
    positionals: [],
    build: () => ({ name: 'push-cert list' }),
  },
  {
    name: 'enrollment-profile',
    usage: 'mdmctl enrollment-profile [--out enroll.mobileconfig] [--config <id or name> | --topic T --access-rights N] [--unsigned]',
    summary: 'Download a signed enrollment profile (stdout unless --out)',
    options: {
      out: { type: 'string', short: 'o' },
      config: { type: 'string' },
      topic: { type: 'string' },
      'access-rights': { type: 'string' },
      unsigned: { type: 'boolean' },
    },
    positionals: [],
    build: (v) => {
      const config = str(v, 'config');
      if (config !== undefined && (v['topic'] !== undefined || v['access-rights'] !== undefined || v['unsigned'] !== undefined)) {
        throw new UsageError('a --config profile takes its topic and access rights from the configuration');
      }
      return { name: 'enrollment-profile', out: str(v, 'out'), config, topic: str(v, 'topic'), accessRights: integer(v, 'access-rights', 1, 8191), unsigned: flag(v, 'unsigned') };
    },
  },
  {
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
      sort: { type: 'string' },
      order: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      all: { type: 'boolean' },
    },
    positionals: [],
    build: (v) => {
      const query = queryOf(v, { os: 'os', 'os-min': 'osMin', model: 'model', serial: 'serial', sort: 'sort', order: 'order', limit: 'limit', offset: 'offset' });
      for (const [yes, no, param] of [['enrolled', 'unenrolled', 'enrolled'], ['supervised', 'unsupervised', 'supervised']] as const) {
        if (flag(v, yes) && flag(v, no)) throw new UsageError(`--${yes} and --${no} exclude each other`);
        if (flag(v, yes) || flag(v, no)) query[param] = String(flag(v, yes));
      }
      if (flag(v, 'all') && query['offset'] !== undefined) throw new UsageError('--all starts at the first device: leave out --offset');
      return { name: 'devices list', query, all: flag(v, 'all') };
    },
  },
  {
    name: 'devices get',
    usage: 'mdmctl devices get <udid>',
    summary: 'One device: inventory, enrollment and push state',
    options: {},
    positionals: ['udid'],
    build: (_v, [udid]) => ({ name: 'devices get', udid: udid! }),
  },
  ...INVENTORY_COMMAND_SPECS,
  {
    name: 'command send',
    usage: "mdmctl command send --udid X [--udid Y ...] --type DeviceInformation [--json '{\"Queries\": [\"OSVersion\"]}'] [--no-push] [--raw] [--expires ISO] [--watch [--timeout S] [--interval MS]]",
    summary: 'Queue a command for devices; --watch follows it until every device reached a final status',
    options: {
      udid: { type: 'string', short: 'u', multiple: true },
      type: { type: 'string', short: 't' },
      json: { type: 'string' },
      'no-push': { type: 'boolean' },
      raw: { type: 'boolean' },
      expires: { type: 'string' },
      ...WATCH_OPTIONS,
    },
    positionals: [],
    build: (v) => {
      const udids = Array.isArray(v['udid']) ? (v['udid'] as string[]) : [];
      if (!udids.length) throw new UsageError('name at least one device with --udid');
      let extra: Record<string, unknown> = {};
      const json = str(v, 'json');
      if (json !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(json);
        } catch (err) {
          throw new UsageError(`--json is not valid JSON: ${(err as Error).message}`);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--json must be a JSON object of the command\'s keys');
        extra = parsed as Record<string, unknown>;
      }
      const type = str(v, 'type');
      const fromJson = typeof extra['RequestType'] === 'string' ? extra['RequestType'] : undefined;
      if (type !== undefined && fromJson !== undefined && type !== fromJson) throw new UsageError(`--type ${type} and the RequestType ${fromJson} in --json differ`);
      const requestType = type ?? fromJson;
      if (!requestType) throw new UsageError('name the command with --type (e.g. --type DeviceInformation)');
      return {
        name: 'command send',
        udids,
        command: { ...extra, RequestType: requestType },
        push: !flag(v, 'no-push'),
        raw: flag(v, 'raw'),
        expiresAt: str(v, 'expires'),
        watch: watchOf(v),
      };
    },
  },
  {
    name: 'command status',
    usage: 'mdmctl command status <commandUuid> [--watch [--timeout S] [--interval MS]]',
    summary: 'A command\'s status per device',
    options: { ...WATCH_OPTIONS },
    positionals: ['commandUuid'],
    build: (v, [commandUuid]) => ({ name: 'command status', commandUuid: commandUuid!, watch: watchOf(v) }),
  },
  {
    name: 'events tail',
    usage: 'mdmctl events tail [--type command.*] [--udid X] [--since ISO] [--lines N] [--once] [--duration S] [--interval MS]',
    summary: 'The last events (--lines, default 10, or all --since), then new ones as they happen until Ctrl-C or --duration',
    options: {
      type: { type: 'string', short: 't' },
      udid: { type: 'string', short: 'u' },
      since: { type: 'string' },
      lines: { type: 'string', short: 'n' },
      once: { type: 'boolean' },
      duration: { type: 'string' },
      interval: { type: 'string' },
    },
    positionals: [],
    build: (v) => {
      if (v['since'] !== undefined && v['lines'] !== undefined) throw new UsageError('--since shows everything from then on: leave out --lines');
      const duration = integer(v, 'duration', 1, 31_536_000);
      if (flag(v, 'once') && duration !== undefined) throw new UsageError('--once does not follow, so --duration has nothing to bound');
      return {
        name: 'events tail',
        query: queryOf(v, { type: 'type', udid: 'udid', since: 'since' }),
        lines: integer(v, 'lines', 0, 1000) ?? 10,
        follow: !flag(v, 'once'),
        durationMs: duration === undefined ? undefined : duration * 1000,
        intervalMs: integer(v, 'interval', 100, 60_000) ?? 1000,
      };
    },
  },
  {
    name: 'sim start',
    usage: 'mdmctl sim start [--count N] [--poll S] [--dir D] [--pushes URL]',
    summary: 'Local trial: enroll N simulated iPhones (kept in .mdm/sim) and keep them answering pushes and commands until Ctrl-C',
    options: { count: { type: 'string', short: 'n' }, poll: { type: 'string' }, dir: { type: 'string' }, pushes: { type: 'string' } },
    positionals: [],
    build: (v) => ({ name: 'sim start', count: integer(v, 'count', 1, 1000), pollSeconds: integer(v, 'poll', 1, 86_400) ?? 60, dir: str(v, 'dir'), pushesUrl: str(v, 'pushes') }),
  },
];

/** The command words at the start of `argv`, skipping global options (and the values of --url and --key). */
function commandWords(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const wanted = words.length < 2 && !COMMANDS.some((c) => c.name === words.join(' ') && words.length > 0);
    if (wanted && !arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    rest.push(arg);
    if ((arg === '--url' || arg === '--key') && i + 1 < argv.length) rest.push(argv[++i]!);
  }
  return { words, rest };
}

/** Reads the command line (without `node` and the script): which command, with which options. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const { words, rest } = commandWords(argv);
  const name = words.join(' ');
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    const globals = parseArgs({ args: rest, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true }).values;
    const global: GlobalOptions = { url: str(globals, 'url'), key: str(globals, 'key'), json: flag(globals, 'json') };
    if (!words.length || words[0] === 'help') return { global, command: { name: 'help', topic: words.slice(words[0] === 'help' ? 1 : 0).join(' ') || undefined } };
    if (flag(globals, 'help') && COMMANDS.some((c) => c.name.startsWith(`${name} `))) return { global, command: { name: 'help', topic: name } };
    throw new UsageError(`unknown command: ${name}`);
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...spec.options }, strict: true, allowPositionals: true }) as { values: Values; positionals: string[] };
  } catch (err) {
    // parseArgs' own messages name the option; the "To specify a positional argument" hint is noise here.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  // `command send --json '{...}'` uses --json for the command's keys; elsewhere it is the output switch.
  const json = spec.options['json'] === undefined && flag(values, 'json');
  const global: GlobalOptions = { url: str(values, 'url'), key: str(values, 'key'), json };
  if (flag(values, 'help')) return { global, command: { name: 'help', topic: spec.name } };
  if (positionals.length !== spec.positionals.length) {
    throw new UsageError(spec.positionals.length ? `${spec.name} takes ${spec.positionals.map((p) => `<${p}>`).join(' ')}` : `${spec.name} takes no arguments, got ${positionals.join(' ')}`);
  }
  return { global, command: spec.build(values, positionals) };
}

/** The usage text: of every command, or of the commands under `topic`. */
export function usage(topic?: string): string {
  const specs = topic ? COMMANDS.filter((c) => c.name === topic || c.name.startsWith(`${topic} `)) : COMMANDS;
  const lines = topic ? [] : ['mdmctl: operate the MDM server through its admin API', '', 'Commands:'];
  for (const c of specs.length ? specs : COMMANDS) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  if (!topic) {
    lines.push(
      '',
      'Global options:',
      '  --url URL    the gateway (MDM_URL; default http://127.0.0.1:8080)',
      '  --key KEY    the admin API key (MDM_API_KEY; else read from .mdm/local.env as `npm start` writes it)',
      '  --json       print the API\'s JSON instead of tables (events tail: one event per line)',
      '  -h, --help   this text; `mdmctl <command> --help` for one command',
      '',
      'Exit codes: 0 done; 1 the server refused or could not be reached; 2 bad usage or missing configuration;',
      '3 a watched command ended with an error status on a device; 4 --watch timed out.',
    );
  }
  return lines.join('\n');
}
