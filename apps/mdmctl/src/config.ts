import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from './command';

/** Where the CLI talks to and with which key. */
export interface ClientConfig {
  url: string;
  key: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Missing or unusable configuration: exit code 2, like a usage mistake. */
export class ConfigError extends Error {}

/** `KEY=value` lines as `npm start` writes `.mdm/local.env`; comments and blank lines are skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]!] = m[2]!;
  }
  return values;
}

/** The nearest `.mdm/local.env` from `dir` up to the file system root, as a server started there keeps it. */
export function findLocalEnv(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const file = path.join(at, '.mdm', 'local.env');
    if (existsSync(file)) return file;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * The gateway URL and admin key: the flags, else `MDM_URL` / `MDM_API_KEY`, else `.mdm/local.env`, and the
 * local gateway's address when no URL is set anywhere.
 */
export function resolveConfig(flags: Pick<GlobalOptions, 'url' | 'key'>, env: NodeJS.ProcessEnv, cwd: string): ClientConfig {
  let local: Record<string, string> = {};
  const file = findLocalEnv(cwd);
  if (file && (flags.url === undefined || flags.key === undefined)) local = parseEnvFile(readFileSync(file, 'utf8'));
  const url = flags.url ?? env['MDM_URL'] ?? local['MDM_URL'] ?? DEFAULT_URL;
  const key = flags.key ?? env['MDM_API_KEY'] ?? local['MDM_API_KEY'];
  if (!key) throw new ConfigError('no admin API key: pass --key, set MDM_API_KEY, or run from the directory where `npm start` wrote .mdm/local.env');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--url / MDM_URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`--url / MDM_URL must be http(s), not ${parsed.protocol}`);
  return { url: url.replace(/\/+$/, ''), key };
}
