import { spawnSync } from 'node:child_process';

const available = spawnSync('openssl', ['version']).status === 0;

/**
 * `describe` for specs that check our CMS against openssl, a second implementation: skipped (and said so)
 * without it locally, failed under CI, where a skipped interoperability test would pass the run quietly.
 */
export function describeWithOpenssl(name: string, body: () => void): void {
  if (available) return describe(name, body);
  if (process.env['CI']) return describe(name, () => it('needs openssl on PATH', () => { throw new Error('openssl is not on PATH'); }));
  console.warn(`openssl not on PATH: skipping "${name}"`);
  describe.skip(name, body);
}

/** Runs openssl in `dir`; its stdout, or an error with its stderr. */
export function openssl(dir: string, ...args: string[]): Buffer {
  const result = spawnSync('openssl', args, { cwd: dir });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout;
}
