import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { eventually, freePort } from '@mdm/testing';
import { sectionCommands } from '../support/readme';

/**
 * The README's "Try it in five minutes", command by command: `npm run trial` and `mdmctl sim start` in the
 * background, the rest in one shell as a reader types them. Only the environment differs (a free gateway port,
 * a database and Redis prefix of this run, state directories outside the checkout), so the docs cannot drift.
 */
jest.setTimeout(420_000);

const ROOT = path.resolve(__dirname, '../..');
const commands = sectionCommands('Try it in five minutes');
const trialCommand = commands.find((c) => /^npm run trial\b/.test(c));
const simCommand = commands.find((c) => /^npx mdmctl sim start\b/.test(c));
const steps = commands.filter((c) => c !== trialCommand && c !== simCommand);

interface Shell {
  child: ChildProcess;
  output(): string;
  done: Promise<number | null>;
}

describe('README: Try it in five minutes', () => {
  const suffix = randomBytes(4).toString('hex');
  const state = mkdtempSync(path.join(tmpdir(), 'mdm-trial-e2e-'));
  const localEnvFile = path.join(ROOT, '.mdm', 'local.env');
  const createdLocalEnv = !existsSync(localEnvFile);
  const base = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/mdm_test');
  base.pathname = `/${base.pathname.slice(1) || 'mdm_test'}_${suffix}`;
  const trialDb = `${base.pathname.slice(1)}_trial`;
  let port = 0;
  let env: NodeJS.ProcessEnv = {};
  const background: Shell[] = [];

  const shell = (script: string): Shell => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, output: () => output, done };
  };

  /** A long-running command, once it printed `ready`; fails at once if it ends first. */
  const startInBackground = async (command: string, ready: RegExp): Promise<Shell> => {
    const sh = shell(command);
    background.push(sh);
    let ended = false;
    void sh.done.then(() => (ended = true));
    await eventually(
      () => {
        if (ended) throw new Error(`ended early:\n${sh.output().slice(-3000)}`);
        if (!ready.test(sh.output())) throw new Error(`not ready yet:\n${sh.output().slice(-3000)}`);
      },
      { timeoutMs: 300_000, intervalMs: 250, message: command },
    );
    return sh;
  };

  const api = async (urlPath: string): Promise<any> => {
    const key = /^MDM_API_KEY=(.*)$/m.exec(readFileSync(localEnvFile, 'utf8'))?.[1];
    const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    port = await freePort();
    env = {
      ...process.env,
      PORT: String(port),
      MDM_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: base.toString(),
      MDM_REDIS_PREFIX: `${process.env['MDM_REDIS_PREFIX'] ?? 'mdmtest'}-${suffix}`,
      MDM_TRIAL_DIR: path.join(state, 'trial'),
      MDM_SIM_DIR: path.join(state, 'sim'),
      LOG_LEVEL: 'info',
    };
    // The README reads the key from .mdm/local.env, so the services must use that one too.
    delete env['MDM_API_KEY'];
    delete env['MDM_SECRET_KEY'];
  });

  afterAll(async () => {
    for (const sh of background.reverse()) {
      if (sh.child.exitCode === null && sh.child.pid !== undefined) process.kill(-sh.child.pid, 'SIGTERM');
      await sh.done;
    }
    const log = path.join(state, 'trial', 'services.log');
    mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
    if (existsSync(log)) copyFileSync(log, path.join(ROOT, 'test-output', 'e2e-trial-services.log'));
    const admin = new URL(base.toString());
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${trialDb}" WITH (FORCE)`);
    await client.end();
    rmSync(state, { recursive: true, force: true });
    if (createdLocalEnv) rmSync(localEnvFile, { force: true });
  });

  it('enrolls the simulated devices, and a command and a profile reach them', async () => {
    expect(trialCommand).toBeDefined();
    expect(simCommand).toBeDefined();
    const count = Number(/--count (\d+)/.exec(simCommand!)?.[1]);
    expect(count).toBeGreaterThan(1);

    const trial = await startInBackground(trialCommand!, /Local trial ready/);
    expect(trial.output()).toContain(`http://127.0.0.1:${port}`);
    expect(trial.output()).toContain('TEST ONLY - local fake APNs (not from Apple)');
    const sim = await startInBackground(simCommand!, new RegExp(`${count} simulated devices online`));

    const devices = await api('/v1/devices?enrolled=true');
    expect(devices.total).toBe(count);
    const certificates = await api('/v1/apns/certificates');
    expect(certificates.certificates.map((c: { topic: string }) => c.topic)).toEqual([expect.stringContaining('TEST-ONLY-fake-apns')]);

    // The README's gateway is localhost:8080; this run's is on another port.
    const script = ['set -euo pipefail', ...steps.map((s) => s.replaceAll('localhost:8080', `127.0.0.1:${port}`))].join('\n');
    const run = shell(script);
    const code = await run.done;
    expect({ code, output: run.output() }).toEqual({ code: 0, output: expect.any(String) });

    const commandUuid = /command ([0-9a-f-]{36}) \(DeviceInformation\)/.exec(run.output())?.[1];
    expect(commandUuid).toBeDefined();
    const command = await api(`/v1/commands/${commandUuid}`);
    expect(command.counts).toMatchObject({ ACKNOWLEDGED: 1 });
    // Woken by its push through the fake APNs, not by the periodic check-in.
    const lines = sim.output().split('\n');
    const online = lines.findIndex((l) => l.includes('simulated devices online'));
    const answered = lines.findIndex((l) => l.includes(`DeviceInformation ${commandUuid} answered`));
    expect(answered).toBeGreaterThan(online);
    const serial = lines[answered]!.split(/\s+/)[1];
    expect(lines.slice(online, answered).filter((l) => l.includes(`${serial}  woke on its push`))).not.toHaveLength(0);

    const profiles = await api('/v1/profiles');
    const profile = profiles.profiles.find((p: { identifier: string }) => p.identifier === 'com.example.trial.passcode');
    expect(profile).toBeDefined();
    const installed = await eventually(
      async () => {
        const page = await api(`/v1/profiles/${profile.id}/devices?status=installed`);
        if (page.devices.length !== 1) throw new Error(JSON.stringify(await api(`/v1/profiles/${profile.id}/devices`)));
        return page.devices;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'the profile installed on the device' },
    );
    expect(devices.devices.map((d: { udid: string }) => d.udid)).toContain(installed[0].udid);
  });
});
