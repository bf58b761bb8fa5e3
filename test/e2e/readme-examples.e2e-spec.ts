import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DeviceSimulator } from '@mdm/testing';
import { fillPlaceholders, sectionCommands } from '../support/readme';
import { Fleet } from './fleet';
import { TestSystem } from './system';

/**
 * Runs the README's command examples, as written, against the whole system, so the docs cannot drift from
 * it: every curl must answer 2xx and every mdmctl must exit 0. What is changed before running:
 * - `localhost:8080` becomes the test gateway; `$KEY` is the test system's key (as `.mdm/local.env`, which
 *   the working directory holds, says); `npx mdmctl` runs the linked bin (npx from a temp directory would
 *   look in the registry).
 * - Placeholders: `<UDID>` is a simulated device enrolled before the examples run (it answers every command
 *   it is pushed); any other `<name>` is the field `name` of the latest JSON answer that had one, and the
 *   `id` of a creation listed in CREATED is also kept under the name given there (`<profileId>`).
 */
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');

/** README sections an operator follows, whose `sh` blocks run in README order. */
const SECTIONS = ['Configuration profiles', 'The loop, as an operator drives it', 'API keys'];

/** Examples that need what a test cannot give (a real device, Apple), each with why. */
const EXCLUDED: ReadonlyArray<{ command: RegExp; why: string }> = [];

/** Creations whose `id` later examples name otherwise than `<id>`. */
const CREATED: Record<string, string> = { 'POST /v1/profiles': 'profileId', 'POST /v1/device-groups': 'groupId' };

interface Example {
  section: string;
  command: string;
}

const EXAMPLES: Example[] = SECTIONS.flatMap((section) => sectionCommands(section).map((command) => ({ section, command })));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bash(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('README examples', () => {
  let system: TestSystem;
  let device: DeviceSimulator;
  let fleet: Fleet;
  const cwd = mkdtempSync(path.join(tmpdir(), 'readme-examples-'));
  const values: Record<string, string> = {};
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    system = await TestSystem.start();
    // The push certificate files step 1 of the loop uploads, and the certificate the device enrolled under.
    const cert = await system.apns.issuePushCertificate();
    writeFileSync(path.join(cwd, 'push.pem'), cert.certPem);
    writeFileSync(path.join(cwd, 'push.key'), cert.keyPem);
    const upload = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
    expect(upload.status).toBe(200);
    device = await system.enrolledDevice(cert.topic, { udid: 'README-DEVICE-1', osVersion: '17.5' });
    values['UDID'] = device.udid;
    fleet = new Fleet(system, [device]);
    fleet.start();
    mkdirSync(path.join(cwd, '.mdm'));
    writeFileSync(path.join(cwd, '.mdm', 'local.env'), `MDM_API_KEY=${system.apiKey}\nMDM_URL=${system.baseUrl}\n`);
    env = { PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env['PATH']}`, HOME: cwd, KEY: system.apiKey };
  }, 600_000);

  afterAll(async () => {
    await fleet?.stop();
    await system?.close('e2e-readme-examples-services.log');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('finds the examples of every operator section', () => {
    for (const section of SECTIONS) expect(EXAMPLES.filter((e) => e.section === section).length).toBeGreaterThan(0);
    // An exclusion that matches nothing any more is stale.
    for (const x of EXCLUDED) expect(EXAMPLES.some((e) => x.command.test(e.command))).toBe(true);
  });

  it.each(EXAMPLES.map((e) => [e.section, e.command] as const))('%s: %s', async (_section, command) => {
    if (EXCLUDED.some((x) => x.command.test(command))) return;
    if (/^KEY=/.test(command)) {
      // Sets the key the other examples use: it must read what `npm start` writes.
      const run = await bash(`${command}; printf %s "$KEY"`, cwd, { ...env, KEY: '' });
      expect(run).toMatchObject({ code: 0, stdout: system.apiKey });
      return;
    }
    const filled = fillPlaceholders(command.replace(/localhost:8080/g, system.baseUrl.replace(/^http:\/\//, '')).replace(/^npx mdmctl /, 'mdmctl '), values);
    if (filled.startsWith('curl ')) {
      const run = await bash(`${filled} -sS -w '\\n%{http_code}'`, cwd, env);
      const lines = run.stdout.split('\n');
      const status = Number(lines.pop());
      const body = lines.join('\n');
      if (!(status >= 200 && status < 300)) throw new Error(`answered ${status}: ${body.slice(0, 2000)} ${run.stderr}`);
      remember(filled, body);
      return;
    }
    if (filled.startsWith('mdmctl ')) {
      const run = await bash(filled, cwd, env);
      if (run.code !== 0) throw new Error(`exited ${run.code}: ${run.stderr}${run.stdout}`);
      return;
    }
    throw new Error(`neither curl nor mdmctl, and not in EXCLUDED: ${command}`);
  });

  /** Keeps the top-level fields of a JSON answer for later placeholders. */
  function remember(command: string, body: string): void {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return;
    const fields = json as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) if (typeof v === 'string') values[k] = v;
    const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
    const route = /\/v1\/[^\s?"']*/.exec(command)?.[0];
    const alias = CREATED[`${method} ${route}`];
    if (alias && typeof fields['id'] === 'string') values[alias] = fields['id'];
  }
});
