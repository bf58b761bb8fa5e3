import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * `mdmctl` as an operator runs it after `npm ci && npm run build`: the linked bin (node_modules/.bin/mdmctl,
 * from the root package's "mdmctl": "file:apps/mdmctl" dependency) as a child process, against the system.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'node_modules', '.bin', 'mdmctl');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running mdmctl: its output and errors so far, and its end. */
interface Child {
  output(): string;
  errors(): string;
  done: Promise<Run>;
}

describe('mdmctl', () => {
  let system: TestSystem;
  let topic: string;
  /** A directory outside the checkout, so a developer's own .mdm/local.env is never read. */
  const cwd = mkdtempSync(path.join(tmpdir(), 'mdmctl-e2e-'));

  const start = (args: string[], env: NodeJS.ProcessEnv = {}, dir = cwd): Child => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'], MDM_URL: system.baseUrl, MDM_API_KEY: system.apiKey, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<Run>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { output: () => stdout, errors: () => stderr, done };
  };
  const mdmctl = (args: string[], env?: NodeJS.ProcessEnv, dir?: string): Promise<Run> => start(args, env, dir).done;

  beforeAll(async () => {
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false' });
  });

  afterAll(async () => {
    await system?.close('e2e-mdmctl-services.log');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('uploads the push certificate from PEM files and shows it', async () => {
    const cert = await system.apns.issuePushCertificate();
    writeFileSync(path.join(cwd, 'push.pem'), cert.certPem);
    writeFileSync(path.join(cwd, 'push.key'), cert.keyPem);
    const up = await mdmctl(['push-cert', 'upload', '--cert', 'push.pem', '--private-key', 'push.key']);
    expect(up).toMatchObject({ code: 0, stderr: '' });
    expect(up.stdout).toMatch(new RegExp(`^${cert.topic.replace(/\./g, '\\.')}: uploaded, valid until `));
    topic = cert.topic;
    const list = await mdmctl(['push-cert', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^TOPIC\s+STATUS/);
    expect(list.stdout).toContain(topic);
    // Another topic on PUT without --force: the server's refusal, with its status, exit code 1.
    const other = await system.apns.issuePushCertificate();
    writeFileSync(path.join(cwd, 'other.pem'), other.certPem);
    writeFileSync(path.join(cwd, 'other.key'), other.keyPem);
    const refused = await mdmctl(['push-cert', 'upload', '--cert', 'other.pem', '--private-key', 'other.key']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^mdmctl: the server answered 409: .*force/);
  });

  it('downloads the signed enrollment profile', async () => {
    const res = await mdmctl(['enrollment-profile', '--out', 'enroll.mobileconfig']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^wrote \d+ bytes to enroll\.mobileconfig/);
    const unsigned = await mdmctl(['enrollment-profile', '--unsigned']);
    expect(unsigned.stdout).toContain('<key>PayloadType</key>');
    expect(unsigned.stdout).toContain(topic);
  });

  it('lists devices with filters and paging, as a table or JSON', async () => {
    for (const [udid, osVersion] of [['CTL-A', '17.5'], ['CTL-B', '18.1'], ['CTL-C', '16.7']] as const) {
      await system.enrolledDevice(topic, { udid, osVersion });
    }
    const all = await mdmctl(['devices', 'list', '--sort', 'osVersion', '--order', 'desc']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^UDID\s+SERIAL\s+MODEL\s+OS\s+ENROLLED/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual(['CTL-B', 'CTL-A', 'CTL-C']);
    expect(lines[4]).toBe('1-3 of 3 devices');
    const json = await mdmctl(['devices', 'list', '--os-min', '17', '--limit', '1', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: 2, limit: 1, offset: 0, devices: [{ udid: 'CTL-A' }] });
    const every = await mdmctl(['devices', 'list', '--all', '--limit', '1', '--sort', 'udid', '--json']);
    expect(JSON.parse(every.stdout).devices.map((d: { udid: string }) => d.udid)).toEqual(['CTL-A', 'CTL-B', 'CTL-C']);
    const bad = await mdmctl(['devices', 'list', '--sort', 'colour']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/answered 400: invalid query: sort: must be one of .*enrolledAt/);
    const usage = await mdmctl(['devices', 'list', '--colour']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Unknown option '--colour'/);
  });

  it('sends a command and watches it until the device answered', async () => {
    const device = await system.enrolledDevice(topic, { udid: 'CTL-WATCH', osVersion: '17.4' });
    const watching = start(['command', 'send', '--udid', 'CTL-WATCH', '--type', 'DeviceInformation', '--json', '{"Queries": ["OSVersion"]}', '--watch', '--interval', '200', '--timeout', '60']);
    // The device does what an iPhone does when APNs wakes it: connect and answer.
    await eventually(() => {
      if (!system.apns.pushes.some((p) => p.token === device.tokenHex)) throw new Error('no push yet');
    }, { timeoutMs: 20_000 });
    const idle = await device.idle();
    expect(idle.command?.requestType).toBe('DeviceInformation');
    await device.answer(idle.command!);
    const run = await watching.done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^command [0-9a-f-]{36} \(DeviceInformation\) for 1 device\(s\): QUEUED 1\n/);
    expect(run.stdout).toMatch(/CTL-WATCH {2}QUEUED/);
    expect(run.stdout).toMatch(/CTL-WATCH {2}ACKNOWLEDGED/);
    expect(run.stdout.trim().split('\n').pop()).toBe('final: ACKNOWLEDGED 1');
  });

  it('exits 3 when a watched command fails on a device, and 4 when it does not finish in time', async () => {
    const device = await system.enrolledDevice(topic, { udid: 'CTL-FAIL' });
    const sent = await mdmctl(['command', 'send', '--udid', 'CTL-FAIL', '--type', 'ProfileList', '--no-push']);
    expect(sent.code).toBe(0);
    const uuid = /command ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    const timedOut = await mdmctl(['command', 'status', uuid, '--watch', '--timeout', '1', '--interval', '200']);
    expect(timedOut.code).toBe(4);
    expect(timedOut.stderr).toMatch(/still not final after 1 s: QUEUED 1/);
    const idle = await device.idle();
    await device.error(idle.command!.commandUuid);
    const failed = await mdmctl(['command', 'status', uuid, '--watch']);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toMatch(/CTL-FAIL {2}ERROR {2}MCMDMErrorDomain 12021: Simulated failure\./);
  });

  it('tails events, following the cursor for a bounded time', async () => {
    const tail = start(['events', 'tail', '--type', 'command.*', '--udid', 'CTL-A', '--lines', '0', '--duration', '10', '--interval', '200', '--json']);
    // Whatever was there before is not shown (--lines 0); what happens once it says it follows is.
    await eventually(() => expect(tail.errors()).toContain('mdmctl: following the event log'), { timeoutMs: 15_000, message: 'mdmctl never said it was following' });
    const sent = await system.api('POST', '/v1/commands', { udids: ['CTL-A', 'CTL-B'], command: { RequestType: 'ProfileList' }, push: false });
    expect(sent.status).toBe(201);
    const events = await eventually(() => {
      const got = tail.output().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; udid: string; data: { commandUuid: string } });
      if (!got.length) throw new Error('nothing tailed yet');
      return got;
    }, { timeoutMs: 15_000 });
    expect(events).toEqual([expect.objectContaining({ type: 'command.queued', udid: 'CTL-A', data: expect.objectContaining({ commandUuid: sent.json.commandUuid }) })]);
    const run = await tail.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('mdmctl: following the event log for 10 s\n');
    // Without --json: one line per event, and --once stops after what is there.
    const once = await mdmctl(['events', 'tail', '--udid', 'CTL-A', '--type', 'command.queued', '--once']);
    expect(once.code).toBe(0);
    expect(once.stdout.trim().split('\n').pop()).toMatch(new RegExp(`command\\.queued\\s+CTL-A  .*commandUuid=${sent.json.commandUuid}`));
  });

  it('reads the key from .mdm/local.env and explains a missing or wrong one', async () => {
    const project = mkdtempSync(path.join(tmpdir(), 'mdmctl-project-'));
    mkdirSync(path.join(project, '.mdm'));
    writeFileSync(path.join(project, '.mdm', 'local.env'), `MDM_API_KEY=${system.apiKey}\nMDM_SECRET_KEY=unused\n`);
    const fromFile = await mdmctl(['devices', 'list', '--limit', '1'], { MDM_API_KEY: undefined }, project);
    rmSync(project, { recursive: true, force: true });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/1-1 of \d+ devices/);
    const none = await mdmctl(['devices', 'list'], { MDM_API_KEY: undefined });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no admin API key/);
    const wrong = await mdmctl(['devices', 'list', '--key', 'not-the-key-at-all']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/answered 401/);
  });
});
