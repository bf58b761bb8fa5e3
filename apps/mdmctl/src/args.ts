import { parseArgs } from 'node:util';
import { type BoundCommand, type Command, type GlobalOptions, type Options, UsageError, type Values } from './command';
import { flag, str } from './options';

export { UsageError } from './command';

export type Invocation = { global: GlobalOptions; help: { topic?: string } } | { global: GlobalOptions; command: BoundCommand };

const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The command words at the start of `argv`, skipping global options (and the values of --url and --key). */
function commandWords(argv: readonly string[], commands: readonly Command[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const wanted = words.length < 2 && !commands.some((c) => c.name === words.join(' ') && words.length > 0);
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
export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): Invocation {
  const { words, rest } = commandWords(argv, commands);
  const name = words.join(' ');
  const spec = commands.find((c) => c.name === name);
  if (!spec) {
    const globals = parseArgs({ args: rest, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true }).values;
    const global: GlobalOptions = { url: str(globals, 'url'), key: str(globals, 'key'), json: flag(globals, 'json') };
    if (!words.length || words[0] === 'help') return { global, help: { topic: words.slice(words[0] === 'help' ? 1 : 0).join(' ') || undefined } };
    if (commands.some((c) => c.name.startsWith(`${name} `))) {
      if (flag(globals, 'help') || words.length === 1) return { global, help: { topic: name } };
    }
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
  if (flag(values, 'help')) return { global, help: { topic: spec.name } };
  if (positionals.length !== spec.positionals.length) {
    throw new UsageError(spec.positionals.length ? `${spec.name} takes ${spec.positionals.map((p) => `<${p}>`).join(' ')}` : `${spec.name} takes no arguments, got ${positionals.join(' ')}`);
  }
  return { global, command: spec.bind(values, positionals) };
}

/** The usage text: of every command, or of the commands under `topic`. */
export function usage(commands: readonly Command[], topic?: string): string {
  const specs = topic ? commands.filter((c) => c.name === topic || c.name.startsWith(`${topic} `)) : commands;
  const lines = topic ? [] : ['mdmctl: operate the MDM server through its admin API', '', 'Commands:'];
  for (const c of specs.length ? specs : commands) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  if (!topic) {
    lines.push(
      '',
      'Global options:',
      '  --url URL    the gateway (MDM_URL; default http://127.0.0.1:8080)',
      '  --key KEY    the admin API key (MDM_API_KEY; else read from .mdm/local.env as `npm start` writes it)',
      '  --json       print the API\'s JSON instead of tables (events tail: one event per line)',
      '  -h, --help   this text; `mdmctl <command> --help` for one command or group',
      '',
      'Exit codes: 0 done; 1 the server refused or could not be reached; 2 bad usage or missing configuration;',
      '3 a watched command ended with an error status on a device; 4 --watch timed out.',
    );
  }
  return lines.join('\n');
}
