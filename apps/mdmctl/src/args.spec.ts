import { parseCommandLine, UsageError, usage } from './args';

describe('mdmctl command line', () => {
  it('reads global options before or after the command', () => {
    expect(parseCommandLine(['--url', 'http://mdm:8080', 'devices', 'list', '--key', 'k', '--json'])).toEqual({
      global: { url: 'http://mdm:8080', key: 'k', json: true },
      command: { name: 'devices list', query: {}, all: false },
    });
  });

  it('turns device list flags into the API query', () => {
    const { command } = parseCommandLine(['devices', 'list', '--unenrolled', '--supervised', '--os-min', '17.2', '--os', '17', '--sort', 'lastSeenAt', '--order', 'desc', '--limit', '5']);
    expect(command).toEqual({
      name: 'devices list',
      query: { enrolled: 'false', supervised: 'true', osMin: '17.2', os: '17', sort: 'lastSeenAt', order: 'desc', limit: '5' },
      all: false,
    });
    expect(() => parseCommandLine(['devices', 'list', '--enrolled', '--unenrolled'])).toThrow(/exclude each other/);
    expect(() => parseCommandLine(['devices', 'list', '--all', '--offset', '3'])).toThrow(UsageError);
  });

  it('builds a command from --type and --json, several --udid, and watch options', () => {
    const { command, global } = parseCommandLine(['command', 'send', '--udid', 'A', '-u', 'B', '--type', 'DeviceInformation', '--json', '{"Queries":["OSVersion"]}', '--no-push', '--watch', '--timeout', '30']);
    expect(global.json).toBe(false);
    expect(command).toEqual({
      name: 'command send',
      udids: ['A', 'B'],
      command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] },
      push: false,
      raw: false,
      expiresAt: undefined,
      watch: { timeoutMs: 30_000, intervalMs: 1000 },
    });
    // RequestType may come from the JSON alone.
    expect(parseCommandLine(['command', 'send', '--udid', 'A', '--json', '{"RequestType":"ProfileList"}']).command).toMatchObject({ command: { RequestType: 'ProfileList' }, watch: undefined });
  });

  it('refuses what the server would refuse less clearly', () => {
    expect(() => parseCommandLine(['command', 'send', '--type', 'DeviceInformation'])).toThrow(/--udid/);
    expect(() => parseCommandLine(['command', 'send', '--udid', 'A'])).toThrow(/--type/);
    expect(() => parseCommandLine(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '{nope'])).toThrow(/not valid JSON/);
    expect(() => parseCommandLine(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '[1]'])).toThrow(/JSON object/);
    expect(() => parseCommandLine(['command', 'send', '--udid', 'A', '--type', 'X', '--json', '{"RequestType":"Y"}'])).toThrow(/differ/);
    expect(() => parseCommandLine(['command', 'send', '--udid', 'A', '--type', 'X', '--timeout', '5'])).toThrow(/go with --watch/);
    expect(() => parseCommandLine(['command', 'status', 'u', '--watch', '--interval', '5'])).toThrow(/--interval must be a whole number from 100/);
    expect(() => parseCommandLine(['devices', 'list', '--colour', 'red'])).toThrow(/Unknown option '--colour'/);
    expect(() => parseCommandLine(['devices', 'get'])).toThrow(/devices get takes <udid>/);
    expect(() => parseCommandLine(['devices', 'frobnicate'])).toThrow(/unknown command: devices frobnicate/);
  });

  it('checks push certificate uploads for one complete certificate', () => {
    expect(parseCommandLine(['push-cert', 'upload', '--p12', 'push.p12', '--password', 'pw', '--force']).command).toEqual({
      name: 'push-cert upload',
      certificate: undefined,
      privateKey: undefined,
      pkcs12: 'push.p12',
      password: 'pw',
      force: true,
      add: false,
    });
    expect(() => parseCommandLine(['push-cert', 'upload'])).toThrow(/--cert .* or as --p12/);
    expect(() => parseCommandLine(['push-cert', 'upload', '--cert', 'a.pem', '--p12', 'b.p12'])).toThrow(UsageError);
    expect(() => parseCommandLine(['push-cert', 'upload', '--p12', 'b.p12', '--private-key', 'k.pem'])).toThrow(/inside it/);
    expect(() => parseCommandLine(['push-cert', 'upload', '--cert', 'a.pem', '--force', '--add'])).toThrow(/pick one/);
  });

  it('reads events tail options', () => {
    expect(parseCommandLine(['events', 'tail', '--type', 'command.*', '--udid', 'A', '-n', '0', '--duration', '5']).command).toEqual({
      name: 'events tail',
      query: { type: 'command.*', udid: 'A' },
      lines: 0,
      follow: true,
      durationMs: 5000,
      intervalMs: 1000,
    });
    expect(() => parseCommandLine(['events', 'tail', '--once', '--duration', '5'])).toThrow(/--once/);
    expect(() => parseCommandLine(['events', 'tail', '--since', '2025-01-01T00:00:00Z', '--lines', '3'])).toThrow(/--since/);
  });

  it('answers help for everything, a group or one command', () => {
    expect(parseCommandLine([]).command).toEqual({ name: 'help', topic: undefined });
    expect(parseCommandLine(['help', 'devices']).command).toEqual({ name: 'help', topic: 'devices' });
    expect(parseCommandLine(['devices', '--help']).command).toEqual({ name: 'help', topic: 'devices' });
    expect(parseCommandLine(['command', 'send', '-h']).command).toEqual({ name: 'help', topic: 'command send' });
    expect(usage('devices')).toContain('mdmctl devices get <udid>');
    expect(usage('devices')).not.toContain('events tail');
    expect(usage()).toContain('Exit codes');
  });
});
