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
  }, 600_000);

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
    // A command to one device: its summarised event is in that device's list (one to many devices is in none).
    const sent = await system.api('POST', '/v1/commands', { udids: ['CTL-A'], command: { RequestType: 'ProfileList' }, push: false });
    expect(sent.status).toBe(201);
    const events = await eventually(() => {
      const got = tail.output().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; udid: string; data: { commandUuid: string } });
      if (!got.length) throw new Error('nothing tailed yet');
      return got;
    }, { timeoutMs: 15_000 });
    expect(events).toEqual([expect.objectContaining({ type: 'command.queued.v2', udid: 'CTL-A', data: expect.objectContaining({ commandUuid: sent.json.commandUuid }) })]);
    const run = await tail.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('mdmctl: following the event log for 10 s\n');
    // Without --json: one line per event, and --once stops after what is there.
    const once = await mdmctl(['events', 'tail', '--udid', 'CTL-A', '--type', 'command.queued.v2', '--once']);
    expect(once.code).toBe(0);
    // The last event's line, then the devices it names (by UDID) under it.
    expect(once.stdout).toMatch(new RegExp(`command\\.queued\\.v2\\s+CTL-A  .*commandUuid=${sent.json.commandUuid}.*\\n    devices: \\[\\n      "CTL-A"\\n    \\]\\n$`));
  });

  it('shows event data decoded: the check-in body as JSON, not base64', async () => {
    const run = await mdmctl(['events', 'tail', '--type', 'device.authenticated', '--udid', 'CTL-A', '--once']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/device\.authenticated\s+CTL-A/);
    expect(run.stdout).toContain('    rawPayload: {');
    expect(run.stdout).toContain('"MessageType": "Authenticate"');
    expect(run.stdout).not.toMatch(/rawPayload=|PD94bWwg/);
    const none = await mdmctl(['events', 'tail', '--udid', 'NO-SUCH-DEVICE', '--once']);
    expect(none).toMatchObject({ code: 0, stdout: 'no events\n' });
  });

  it('lists, cancels and clears commands', async () => {
    const sent = await mdmctl(['command', 'send', '--udid', 'CTL-B', '--udid', 'CTL-C', '--type', 'ProfileList', '--no-push']);
    const uuid = /command ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    const list = await mdmctl(['command', 'list', '--type', 'ProfileList']);
    expect(list.stdout).toMatch(new RegExp(`${uuid}\\s+ProfileList\\s+\\S+\\s+2\\s+QUEUED 2`));
    expect((await mdmctl(['devices', 'queue', 'CTL-B'])).stdout).toContain(uuid);
    expect((await mdmctl(['command', 'cancel', uuid, '--udid', 'CTL-B'])).stdout).toBe(`canceled command ${uuid} on 1 device(s)\n`);
    expect((await mdmctl(['devices', 'queue', 'CTL-B'])).stdout).not.toContain(uuid);
    expect((await mdmctl(['devices', 'clear-queue', 'CTL-C'])).stdout).toMatch(/^canceled [1-9]\d* command\(s\) for CTL-C\n$/);
    expect((await mdmctl(['devices', 'queue', 'CTL-C'])).stdout).toBe('no commands waiting\n');
    expect((await mdmctl(['devices', 'commands', 'CTL-C', '--status', 'CANCELED'])).stdout).toMatch(new RegExp(`${uuid}\\s+ProfileList\\s+CANCELED`));
    expect((await mdmctl(['devices', 'push', '--udid', 'CTL-C'])).code).toBe(0);
    const none = await mdmctl(['command', 'list', '--type', 'NoSuchType']);
    expect(none.stdout).toBe('no commands\n');
  }, 600_000);

  it('manages profiles, device groups and assignments', async () => {
    expect((await mdmctl(['profiles', 'list'])).stdout).toBe('no profiles\n');
    expect((await mdmctl(['device-groups', 'list'])).stdout).toBe('no device groups\n');
    const definition = {
      name: 'Passcode',
      identifier: 'com.example.ctl.passcode',
      payloads: [{ type: 'com.apple.mobiledevice.passwordpolicy', settings: { forcePIN: true, minLength: 6 } }],
    };
    writeFileSync(path.join(cwd, 'passcode.json'), JSON.stringify(definition));
    const created = await mdmctl(['profiles', 'create', '--file', 'passcode.json']);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created profile com\.example\.ctl\.passcode version 1 \(/) });
    writeFileSync(path.join(cwd, 'passcode.json'), JSON.stringify({ ...definition, payloads: [{ ...definition.payloads[0], settings: { forcePIN: true, minLength: 8 } }] }));
    expect((await mdmctl(['profiles', 'update', 'com.example.ctl.passcode', '--file', 'passcode.json'])).stdout).toMatch(/^updated profile com\.example\.ctl\.passcode version 2/);
    expect(JSON.parse((await mdmctl(['profiles', 'get', 'com.example.ctl.passcode'])).stdout)).toMatchObject({ version: 2, payloads: [{ settings: { minLength: 8 } }] });
    const xml = await mdmctl(['profiles', 'download', 'com.example.ctl.passcode', '--unsigned']);
    expect(xml.stdout).toContain('<string>com.example.ctl.passcode</string>');
    writeFileSync(path.join(cwd, 'other.mobileconfig'), xml.stdout.replace(/com\.example\.ctl\.passcode/g, 'com.example.ctl.imported'));
    expect((await mdmctl(['profiles', 'upload', '--file', 'other.mobileconfig', '--name', 'Imported'])).stdout).toMatch(/^imported profile com\.example\.ctl\.imported version 1/);
    expect((await mdmctl(['profiles', 'list', '--sort', 'identifier'])).stdout).toMatch(/com\.example\.ctl\.imported .*\n.*com\.example\.ctl\.passcode[\s\S]*1-2 of 2 profiles/);

    const group = await mdmctl(['device-groups', 'create', '--name', 'Pilot', '--udid', 'CTL-A']);
    expect(group.stdout).toMatch(/^created device group Pilot \([0-9a-f-]{36}\): static, 1 device\(s\)/);
    const dynamic = await mdmctl(['device-groups', 'create', '--name', 'Modern', '--min-os', '18']);
    expect(dynamic.stdout).toMatch(/: OS >= 18, 1 device\(s\)/);
    expect((await mdmctl(['device-groups', 'members', 'Modern'])).stdout).toBe('CTL-B\n1 device(s)\n');
    expect((await mdmctl(['device-groups', 'add', 'Pilot', '--udid', 'CTL-C'])).stdout).toBe('Pilot now has 2 device(s)\n');
    expect((await mdmctl(['device-groups', 'remove', 'Pilot', '--udid', 'CTL-C'])).stdout).toBe('Pilot now has 1 device(s)\n');
    expect((await mdmctl(['device-groups', 'update', 'Modern', '--min-os', '17'])).stdout).toMatch(/OS >= 17, [2-9] device\(s\)/);
    expect((await mdmctl(['device-groups', 'list', '--dynamic'])).stdout).toMatch(/Modern\s+[2-9]\s+OS >= 17\n1-1 of 1 device groups/);
    expect(JSON.parse((await mdmctl(['device-groups', 'get', 'Pilot'])).stdout)).toMatchObject({ name: 'Pilot', rule: null, devices: 1 });

    expect((await mdmctl(['profiles', 'assign', 'com.example.ctl.passcode', '--group', 'Pilot', '--udid', 'CTL-B'])).stdout).toBe('assigned com.example.ctl.passcode to 1 device(s) and 1 group(s)\n');
    expect((await mdmctl(['profiles', 'assignments', 'com.example.ctl.passcode'])).stdout).toMatch(/^group {3}Pilot \([0-9a-f-]{36}\)\ndevice {2}CTL-B\n$/);
    const states = await mdmctl(['profiles', 'devices', 'com.example.ctl.passcode']);
    expect(states.stdout).toMatch(/^UDID\s+STATUS\s+WANTED\s+INSTALLED\s+DETAIL\nCTL-A\s+\w+\s+2[\s\S]*CTL-B\s+\w+\s+2[\s\S]*1-2 of 2 devices\n$/);
    expect((await mdmctl(['devices', 'profiles', 'CTL-A'])).stdout).toMatch(/^PROFILE\s+STATUS\s+WANTED\s+INSTALLED\s+DETAIL\ncom\.example\.ctl\.passcode\s+\w+\s+2/);
    expect((await mdmctl(['devices', 'profiles', 'CTL-C'])).stdout).toBe('no profiles for this device\n');
    expect((await mdmctl(['devices', 'reconcile', 'CTL-A'])).code).toBe(0);
    expect((await mdmctl(['profiles', 'unassign', 'com.example.ctl.passcode', '--group', 'Pilot', '--udid', 'CTL-B'])).code).toBe(0);
    expect((await mdmctl(['profiles', 'assignments', 'com.example.ctl.passcode'])).stdout).toBe('no assignments\n');
    const unknownGroup = await mdmctl(['profiles', 'assign', 'com.example.ctl.passcode', '--group', 'Nobody']);
    expect(unknownGroup).toMatchObject({ code: 2, stderr: expect.stringContaining('no device group with id or name Nobody') });

    expect((await mdmctl(['device-groups', 'delete', 'Modern'])).stdout).toBe('deleted device group Modern\n');
    expect((await mdmctl(['profiles', 'delete', 'com.example.ctl.imported'])).stdout).toBe('deleted profile com.example.ctl.imported\n');
    expect((await mdmctl(['profiles', 'get', 'com.example.ctl.imported'])).code).toBe(2);
  }, 600_000);

  it('creates, lists and revokes API keys, showing the secret once', async () => {
    const created = await mdmctl(['api-keys', 'create', '--name', 'helpdesk', '--scope', 'read', '--scope', 'commands']);
    expect(created.code).toBe(0);
    const secret = /^secret: (mdm_\S+)$/m.exec(created.stdout)![1]!;
    const id = /\(([0-9a-f-]{36})\)/.exec(created.stdout)![1]!;
    expect(created.stderr).toMatch(/shown this once/);
    // The new key works, for what its scopes allow.
    expect((await mdmctl(['devices', 'list', '--limit', '1'], { MDM_API_KEY: secret })).code).toBe(0);
    const list = await mdmctl(['api-keys', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+helpdesk\\s+read,commands\\s+active`));
    expect(list.stdout).not.toContain(secret);
    expect(JSON.parse((await mdmctl(['api-keys', 'get', id])).stdout)).toMatchObject({ id, name: 'helpdesk', revokedAt: null });
    expect((await mdmctl(['api-keys', 'revoke', id])).stdout).toBe(`revoked API key helpdesk (${id})\n`);
    expect((await mdmctl(['api-keys', 'list', '--revoked'])).stdout).toMatch(new RegExp(`${id}\\s+helpdesk\\s+read,commands\\s+revoked`));
    expect((await mdmctl(['devices', 'list'], { MDM_API_KEY: secret })).code).toBe(1);
  }, 600_000);

  it('manages webhooks and their deliveries', async () => {
    expect((await mdmctl(['webhooks', 'list'])).stdout).toBe('no webhooks\n');
    const created = await mdmctl(['webhooks', 'create', '--endpoint', 'http://127.0.0.1:9/hook', '--event', 'command.*', '--event', 'device.enrolled']);
    expect(created.stdout).toMatch(/^created webhook [0-9a-f-]{36}: http:\/\/127\.0\.0\.1:9\/hook for command\.\*, device\.enrolled \(mdm\)\nsecret: \S{40,}\n$/);
    const id = /webhook ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    expect((await mdmctl(['webhooks', 'list'])).stdout).toMatch(new RegExp(`${id}\\s+http://127\\.0\\.0\\.1:9/hook\\s+command\\.\\*,device\\.enrolled\\s+mdm\\s+yes`));
    expect((await mdmctl(['webhooks', 'deliveries', id])).stdout).toBe('no deliveries\n');
    await system.api('POST', '/v1/commands', { udids: ['CTL-A'], command: { RequestType: 'ProfileList' }, push: false });
    const deliveries = await eventually(async () => {
      const run = await mdmctl(['webhooks', 'deliveries', id, '--json']);
      const page = JSON.parse(run.stdout) as { deliveries: Array<{ id: string; eventType: string }> };
      if (!page.deliveries.length) throw new Error('no delivery yet');
      return page.deliveries;
    }, { timeoutMs: 20_000 });
    expect(deliveries[0]!.eventType).toBe('command.queued.v2');
    expect(JSON.parse((await mdmctl(['webhooks', 'delivery', id, deliveries[0]!.id])).stdout)).toMatchObject({ id: deliveries[0]!.id, attemptLog: expect.any(Array) });
    expect((await mdmctl(['webhooks', 'retry', id, deliveries[0]!.id])).stdout).toMatch(/^delivery [0-9a-f-]{36} queued again/);
    const replay = await mdmctl(['webhooks', 'replay', id, '--from', new Date(Date.now() - 3_600_000).toISOString(), '--to', new Date().toISOString(), '--type', 'command.*']);
    expect(replay.stdout).toMatch(/^queued \d+ event\(s\) again\n$/);
    expect((await mdmctl(['webhooks', 'update', id, '--disable'])).stdout).toMatch(/\(mdm, disabled\)\n$/);
    expect(JSON.parse((await mdmctl(['webhooks', 'get', id])).stdout)).toMatchObject({ id, enabled: false });
    expect((await mdmctl(['webhooks', 'delete', id])).stdout).toBe(`deleted webhook ${id}\n`);
    const bad = await mdmctl(['webhooks', 'create', '--endpoint', 'http://127.0.0.1:9/', '--event', 'nonsense']);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/answered 400: .*nonsense/) });
  }, 600_000);

  it('manages enrollment configurations and makes a push CSR', async () => {
    expect((await mdmctl(['enrollment-configs', 'list'])).stdout).toBe('no enrollment configurations\n');
    expect((await mdmctl(['enrollment-configs', 'create', '--name', 'kiosk', '--access-rights', '8191'])).stdout).toMatch(/^created enrollment configuration kiosk \(/);
    expect((await mdmctl(['enrollment-configs', 'list'])).stdout).toMatch(/kiosk\s+\S+\s+8191[\s\S]*1-1 of 1 enrollment configurations/);
    expect((await mdmctl(['enrollment-profile', '--config', 'kiosk', '--out', 'kiosk.mobileconfig'])).code).toBe(0);
    expect((await mdmctl(['enrollment-configs', 'delete', 'kiosk'])).stdout).toBe('deleted enrollment configuration kiosk\n');
    const csr = await mdmctl(['push-cert', 'csr', '--common-name', 'Example MDM']);
    expect(csr.stdout).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
  }, 600_000);

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
