import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '../args';
import { UsageError } from '../command';
import { COMMANDS } from '../commands';
import { followPushes, type SeenPush } from './push-follower';
import { simPaths, trialPushesUrl } from './sim-config';
import { loadRecords, removeRecord, saveRecord, type SimRecord } from './sim-store';

describe('mdmctl sim', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'mdmctl-sim-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads sim start options, with a check-in every 60 s by default', () => {
    const params = (argv: string[]): unknown => {
      const invocation = parseCommandLine(argv, COMMANDS);
      if (!('command' in invocation)) throw new Error('no command');
      return invocation.command.params;
    };
    expect(params(['sim', 'start', '--count', '3'])).toEqual({ count: 3, pollSeconds: 60, dir: undefined, pushesUrl: undefined });
    expect(params(['sim', 'start', '--poll', '5', '--dir', 'd', '--pushes', 'http://x'])).toMatchObject({ count: undefined, pollSeconds: 5, dir: 'd', pushesUrl: 'http://x' });
    expect(() => params(['sim', 'start', '--count', '0'])).toThrow(UsageError);
    expect(() => params(['sim', 'start', '--count', 'five'])).toThrow(/--count must be a whole number/);
  });

  it('keeps devices beside the .mdm/local.env in use, unless told otherwise', () => {
    mkdirSync(path.join(dir, '.mdm'));
    writeFileSync(path.join(dir, '.mdm', 'local.env'), 'MDM_API_KEY=k\n');
    const below = path.join(dir, 'a', 'b');
    mkdirSync(below, { recursive: true });
    expect(simPaths(undefined, {}, below)).toEqual({ dir: path.join(dir, '.mdm', 'sim'), trialFile: path.join(dir, '.mdm', 'trial', 'trial.json') });
    expect(simPaths(undefined, { MDM_SIM_DIR: 'x', MDM_TRIAL_DIR: '/t' }, below)).toEqual({ dir: path.join(below, 'x'), trialFile: '/t/trial.json' });
    expect(simPaths('/y', { MDM_SIM_DIR: 'x' }, below).dir).toBe('/y');
  });

  it('reads the fake APNs control URL from the running trial, or none', () => {
    const file = path.join(dir, 'trial.json');
    expect(trialPushesUrl(file)).toBeUndefined();
    writeFileSync(file, '{"apnsControlUrl": "http://127.0.0.1:1234"}');
    expect(trialPushesUrl(file)).toBe('http://127.0.0.1:1234');
    writeFileSync(file, 'not json');
    expect(trialPushesUrl(file)).toBeUndefined();
  });

  it('stores devices in enrollment order, skips files that are not devices, and forgets one', () => {
    const record = (udid: string): SimRecord => ({ udid, serialNumber: `S${udid}`, certPem: 'c', keyPem: 'k', profile: 'cA==' });
    saveRecord(dir, record('A'));
    saveRecord(dir, record('B'));
    writeFileSync(path.join(dir, 'zz.json'), '{"udid": 1}');
    const warnings: string[] = [];
    expect(loadRecords(dir, (w) => warnings.push(w)).map((r) => r.udid)).toEqual(['A', 'B']);
    expect(warnings).toEqual(['zz.json is not a simulated device: skipped']);
    removeRecord(dir, 'A');
    expect(loadRecords(dir, () => undefined).map((r) => r.udid)).toEqual(['B']);
    expect(loadRecords(path.join(dir, 'absent'), () => undefined)).toEqual([]);
  });

  it('follows pushes from the end of the log with long polls, and says when the fake is gone', async () => {
    const log: SeenPush[] = [{ token: 'old', topic: 't', receivedAt: 1 }];
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      asked.push(url.search);
      const after = Number(url.searchParams.get('after'));
      if (after > log.length) return res.end(JSON.stringify({ next: log.length, pushes: [] }));
      if (log.length === 1) log.push({ token: 'new', topic: 't', receivedAt: 2 });
      res.end(JSON.stringify({ next: log.length, pushes: log.slice(after) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const seen: string[] = [];
    const states: string[] = [];
    const stop = new AbortController();
    let controlUrl: string | undefined = url;
    const following = followPushes({
      controlUrl: () => controlUrl,
      onPush: (p) => {
        seen.push(p.token);
        controlUrl = undefined;
      },
      onState: (s) => {
        states.push(s);
        stop.abort();
      },
      signal: stop.signal,
      retryMs: 10,
    });
    await following;
    server.close();
    expect(seen).toEqual(['new']);
    expect(asked[0]).toBe(`?after=${Number.MAX_SAFE_INTEGER}&wait=25000`);
    expect(states).toEqual([expect.stringContaining('no trial is running')]);
  });
});
