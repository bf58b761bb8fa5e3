import { ApiClient, ApiError, UnreachableError } from './api-client';
import { parseCommandLine, usage } from './args';
import { Exit, type Io, UsageError } from './command';
import { COMMANDS } from './commands';
import { ConfigError, resolveConfig } from './config';

export { Exit, type Io } from './command';

/** Runs one command line; resolves to the process exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let topic: string | undefined;
  try {
    const invocation = parseCommandLine(argv, COMMANDS);
    if ('help' in invocation) {
      io.stdout(`${usage(COMMANDS, invocation.help.topic)}\n`);
      return Exit.Ok;
    }
    const { global, command } = invocation;
    topic = command.name;
    const api = new ApiClient(resolveConfig(global, io.env, io.cwd));
    return await command.run({ api, io, global });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`mdmctl: ${err.message}\n\n${usage(COMMANDS, topic)}\n`);
      return Exit.Usage;
    }
    if (err instanceof ConfigError) {
      io.stderr(`mdmctl: ${err.message}\n`);
      return Exit.Usage;
    }
    if (err instanceof ApiError) {
      io.stderr(`mdmctl: the server answered ${err.status}: ${err.serverMessage} (${err.method} ${err.path})\n`);
      return Exit.Failed;
    }
    if (err instanceof UnreachableError) {
      io.stderr(`mdmctl: ${err.message}\n`);
      return Exit.Failed;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`mdmctl: ${(err as Error).message}\n`);
      return Exit.Usage;
    }
    throw err;
  }
}
