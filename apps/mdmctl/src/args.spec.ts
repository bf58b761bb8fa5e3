import { DEFAULT_DEVICE_INFORMATION_QUERIES } from '@mdm/protocol';
import { type Invocation, parseCommandLine, UsageError, usage } from './args';
import { COMMANDS } from './commands';

const parse = (argv: string[]): Invocation => parseCommandLine(argv, COMMANDS);
/** The parsed options of a command line that names a command (not help). */
function params(argv: string[]): unknown {
  const invocation = parse(argv);
  if (!('command' in invocation)) throw new Error(`${argv.join(' ')} asked for help`);
  return invocation.command.params;
}
const help = (argv: string[]): unknown => ('help' in parse(argv) ? (parse(argv) as { help: unknown }).help : undefined);

describe('mdmctl command line', () => {
  it('reads global options before or after the command', () => {
    const invocation = parse(['--url', 'http://mdm:8080', 'devices', 'list', '--key', 'k', '--json']);
    expect(invocation.global).toEqual({ url: 'http://mdm:8080', key: 'k', json: true });
    expect('command' in invocation && invocation.command).toMatchObject({ name: 'devices list', params: { query: {}, all: false } });
  });

  it('turns device list flags into the API query', () => {
    expect(params(['devices', 'list', '--unenrolled', '--supervised', '--os-min', '17.2', '--os', '17', '--sort', 'lastSeenAt', '--order', 'desc', '--limit', '5'])).toEqual({
      query: { enrolled: 'false', supervised: 'true', osMin: '17.2', os: '17', sort: 'lastSeenAt', order: 'desc', limit: '5' },
      all: false,
    });
    expect(() => parse(['devices', 'list', '--enrolled', '--unenrolled'])).toThrow(/exclude each other/);
    expect(() => parse(['devices', 'list', '--all', '--offset', '3'])).toThrow(UsageError);
  });

  it('builds a command from --type and --json, several --udid, and watch options', () => {
    const invocation = parse(['command', 'send', '--udid', 'A', '-u', 'B', '--type', 'DeviceInformation', '--json', '{"Queries":["OSVersion"]}', '--no-push', '--watch', '--timeout', '30']);
    expect(invocation.global.json).toBe(false);
    expect('command' in invocation && invocation.command.params).toEqual({
      udids: ['A', 'B'],
      command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] },
      push: false,
      raw: false,
      expiresAt: undefined,
      watch: { timeoutMs: 30_000, intervalMs: 1000 },
    });
    // RequestType may come from the JSON alone.
    expect(params(['command', 'send', '--udid', 'A', '--json', '{"RequestType":"ProfileList"}'])).toMatchObject({ command: { RequestType: 'ProfileList' }, watch: undefined });
  });

  it('asks DeviceInformation for the usual inventory unless --query names the queries', () => {
    expect(params(['command', 'send', '--udid', 'A', '--type', 'DeviceInformation'])).toMatchObject({
      command: { RequestType: 'DeviceInformation', Queries: DEFAULT_DEVICE_INFORMATION_QUERIES },
    });
    expect(DEFAULT_DEVICE_INFORMATION_QUERIES).toEqual(expect.arrayContaining(['OSVersion', 'SerialNumber', 'IsSupervised']));
    expect(params(['command', 'send', '--udid', 'A', '--type', 'DeviceInformation', '--query', 'OSVersion', '-q', 'IsSupervised'])).toMatchObject({
      command: { RequestType: 'DeviceInformation', Queries: ['OSVersion', 'IsSupervised'] },
    });
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'DeviceInformation', '--query', 'UDID', '--json', '{"Queries":["UDID"]}'])).toThrow(/not both/);
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'ProfileList', '--query', 'UDID'])).toThrow(/--query goes with --type DeviceInformation/);
    // Other commands are sent with exactly the keys given.
    expect(params(['command', 'send', '--udid', 'A', '--type', 'ProfileList'])).toMatchObject({ command: { RequestType: 'ProfileList' } });
  });

  it('refuses what the server would refuse less clearly', () => {
    expect(() => parse(['command', 'send', '--type', 'DeviceInformation'])).toThrow(/--udid/);
    expect(() => parse(['command', 'send', '--udid', 'A'])).toThrow(/--type/);
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '{nope'])).toThrow(/not valid JSON/);
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '[1]'])).toThrow(/JSON object/);
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '{"RequestType":"Y"}'])).toThrow(/differ/);
    expect(() => parse(['command', 'send', '--udid', 'A', '--type', 'X', '--timeout', '5'])).toThrow(/go with --watch/);
    expect(() => parse(['command', 'status', 'u', '--watch', '--interval', '5'])).toThrow(/--interval must be a whole number from 100/);
    expect(() => parse(['devices', 'list', '--colour', 'red'])).toThrow(/Unknown option '--colour'/);
    expect(() => parse(['devices', 'get'])).toThrow(/devices get takes <udid>/);
    expect(() => parse(['devices', 'frobnicate'])).toThrow(/unknown command: devices frobnicate/);
  });

  it('checks push certificate uploads for one complete certificate', () => {
    expect(params(['push-cert', 'upload', '--p12', 'push.p12', '--password', 'pw', '--force'])).toEqual({
      certificate: undefined,
      privateKey: undefined,
      pkcs12: 'push.p12',
      password: 'pw',
      force: true,
      add: false,
    });
    expect(() => parse(['push-cert', 'upload'])).toThrow(/--cert .* or as --p12/);
    expect(() => parse(['push-cert', 'upload', '--cert', 'a.pem', '--p12', 'b.p12'])).toThrow(UsageError);
    expect(() => parse(['push-cert', 'upload', '--p12', 'b.p12', '--private-key', 'k.pem'])).toThrow(/inside it/);
    expect(() => parse(['push-cert', 'upload', '--cert', 'a.pem', '--force', '--add'])).toThrow(/pick one/);
  });

  it('reads events tail options', () => {
    expect(params(['events', 'tail', '--type', 'command.*', '--udid', 'A', '-n', '0', '--duration', '5'])).toEqual({
      query: { type: 'command.*', udid: 'A' },
      lines: 0,
      follow: true,
      durationMs: 5000,
      intervalMs: 1000,
    });
    expect(() => parse(['events', 'tail', '--once', '--duration', '5'])).toThrow(/--once/);
    expect(() => parse(['events', 'tail', '--since', '2025-01-01T00:00:00Z', '--lines', '3'])).toThrow(/--since/);
  });

  it('answers help for everything, a group or one command', () => {
    expect(help([])).toEqual({ topic: undefined });
    expect(help(['help', 'devices'])).toEqual({ topic: 'devices' });
    expect(help(['devices', '--help'])).toEqual({ topic: 'devices' });
    expect(help(['devices'])).toEqual({ topic: 'devices' });
    expect(help(['command', 'send', '-h'])).toEqual({ topic: 'command send' });
    expect(usage(COMMANDS, 'devices')).toContain('mdmctl devices get <udid>');
    expect(usage(COMMANDS, 'devices')).not.toContain('events tail');
    expect(usage(COMMANDS)).toContain('Exit codes');
  });

  it('has one command per name, each with usage and summary', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) expect(c.usage).toMatch(new RegExp(`^mdmctl ${c.name}( |$)`));
    // --url and --key always mean the gateway and its key; a command's own option of that name would hide them.
    for (const c of COMMANDS) expect([c.name, Object.keys(c.options).filter((o) => o === 'url' || o === 'key')]).toEqual([c.name, []]);
  });
});
