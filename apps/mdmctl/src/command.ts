import type { ParseArgsConfig } from 'node:util';
import type { ApiClient } from './api-client';

/** Exit codes, as `mdmctl --help` lists them. */
export const Exit = { Ok: 0, Failed: 1, Usage: 2, CommandFailed: 3, TimedOut: 4, Interrupted: 130 } as const;

/** A mistake in how mdmctl was called: printed with the usage of the command, exit code 2. */
export class UsageError extends Error {}

/** Options every command takes. */
export interface GlobalOptions {
  url?: string;
  key?: string;
  /** Machine-readable output: the API's JSON (one object per line for `events tail`). */
  json: boolean;
}

/** What the CLI touches outside itself, so tests can run it in-process. */
export interface Io {
  stdout(text: string | Buffer): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer): void;
  /** Aborted on Ctrl-C: followers stop cleanly. */
  signal: AbortSignal;
}

export interface Context {
  api: ApiClient;
  io: Io;
  global: GlobalOptions;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One command: its words (`devices list`), usage, options, and how its parsed options run. */
export interface CommandSpec<P> {
  name: string;
  usage: string;
  summary: string;
  options?: Options;
  positionals?: readonly string[];
  /** The command's options as `run` takes them; throws UsageError for what does not fit. */
  parse(values: Values, positionals: string[]): P;
  run(ctx: Context, params: P): Promise<number>;
}

/** A command of the dispatch table, its parameter type hidden so commands of any kind sit in one list. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: Options;
  positionals: readonly string[];
  bind(values: Values, positionals: string[]): BoundCommand;
}

/** A command with its parsed options: what tests compare, and what runs. */
export interface BoundCommand {
  name: string;
  params: unknown;
  run(ctx: Context): Promise<number>;
}

export function command<P>(spec: CommandSpec<P>): Command {
  return {
    name: spec.name,
    usage: spec.usage,
    summary: spec.summary,
    options: spec.options ?? {},
    positionals: spec.positionals ?? [],
    bind(values, positionals) {
      const params = spec.parse(values, positionals);
      return { name: spec.name, params, run: (ctx) => spec.run(ctx, params) };
    },
  };
}

/** Prints a JSON answer as `--json` shows it. */
export function printJson(ctx: Context, value: unknown): void {
  ctx.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
