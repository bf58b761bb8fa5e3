import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_URL, parseEnvFile, resolveConfig } from './config';

describe('mdmctl configuration', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mdmctl-config-'));
  const nested = path.join(root, 'a', 'b');
  mkdirSync(path.join(root, '.mdm'), { recursive: true });
  mkdirSync(nested, { recursive: true });
  writeFileSync(path.join(root, '.mdm', 'local.env'), '# generated\nMDM_API_KEY=from-file\nMDM_SECRET_KEY=secret\n');
  const bare = mkdtempSync(path.join(tmpdir(), 'mdmctl-bare-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(bare, { recursive: true, force: true });
  });

  it('parses KEY=value lines', () => {
    expect(parseEnvFile('# c\nA=1\n\n B_2=x=y \nlower=no\n')).toEqual({ A: '1', B_2: 'x=y' });
  });

  it('prefers flags, then the environment, then the nearest .mdm/local.env', () => {
    expect(resolveConfig({}, {}, nested)).toEqual({ url: DEFAULT_URL, key: 'from-file' });
    expect(resolveConfig({}, { MDM_API_KEY: 'from-env', MDM_URL: 'https://mdm.example.com/' }, nested)).toEqual({ url: 'https://mdm.example.com', key: 'from-env' });
    expect(resolveConfig({ key: 'flag', url: 'http://h:1' }, { MDM_API_KEY: 'from-env' }, nested)).toEqual({ url: 'http://h:1', key: 'flag' });
  });

  it('says how to provide a missing key, and refuses a bad URL', () => {
    // A temp dir outside any checkout; skip if the machine keeps a local.env above it.
    if (path.dirname(bare) !== bare && existsSync(path.join(path.dirname(bare), '.mdm', 'local.env'))) return;
    expect(() => resolveConfig({}, {}, bare)).toThrow(/pass --key, set MDM_API_KEY/);
    expect(() => resolveConfig({ key: 'k', url: 'not a url' }, {}, bare)).toThrow(ConfigError);
    expect(() => resolveConfig({ key: 'k', url: 'ftp://x' }, {}, bare)).toThrow(/http/);
  });
});
