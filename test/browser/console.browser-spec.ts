import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { connectSession, DeviceSimulator } from '@mdm/testing';
import { TestSystem } from '../e2e/system';

jest.setTimeout(300_000);

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(__dirname, '../../test-output/console-screenshots');

/**
 * The operator console end to end, in Debian's Chromium against the whole running system: upload the
 * push certificate through the setup page, enroll two simulated iPhones with profiles downloaded from
 * it, group them (a static group through the device search, a dynamic one by rule), create the passcode
 * profile from the catalog form, assign it to the group and watch it turn installed, send DeviceInformation
 * to both and watch the command reach ACKNOWLEDGED, watch an event arrive live on the events page, and make
 * an API key whose secret is shown once. A screenshot per step.
 */
describe('operator console', () => {
  let system: TestSystem;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  let step = 0;
  const devices: DeviceSimulator[] = [];
  const pageErrors: string[] = [];
  /** Answers to the console's `GET /v1/events/stream` (its live updates). */
  const streams: number[] = [];
  /** Requests the console made to `GET /v1/events` (the events page's reads). */
  let eventReads = 0;

  const shot = async (name: string, on: Page = page): Promise<void> => {
    await on.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    console.log(`console screenshots: ${SHOTS}`);
    system = await TestSystem.start({ PROFILE_FEED_INTERVAL_MS: '100', PROFILE_SUBMIT_INTERVAL_MS: '200' });
    // A simulated iPhone does what a real one does on a push: connects and works through its queue.
    const busy = new Map<string, Promise<void>>();
    const wake = (d: DeviceSimulator): void => {
      const before = busy.get(d.udid) ?? Promise.resolve();
      busy.set(d.udid, before.then(async () => {
        await connectSession(d);
      }).catch((err: Error) => void system.logs.push(`[device ${d.udid}] ${err.message}`)));
    };
    system.apns.respondWith((push) => {
      const d = devices.find((x) => x.token.toString('hex') === push.token);
      if (d) setTimeout(() => wake(d), 20);
      return undefined;
    });
    profileDir = mkdtempSync(path.join(tmpdir(), 'mdm-console-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (res) => {
      if (new URL(res.url()).pathname === '/v1/events/stream') streams.push(res.status());
    });
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/v1/events') eventReads++;
    });
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await system?.close('browser-console-services.log');
  });

  it('serves the app with a SPA fallback, and 404 for a missing asset', async () => {
    const deep = await fetch(`${system.baseUrl}/console/devices/SOME-UDID`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await deep.text()).toContain('<div id="root">');
    expect((await fetch(`${system.baseUrl}/console/assets/nope.js`)).status).toBe(404);
  });

  it('signs in, refusing a wrong key first', async () => {
    await page.goto(`${system.baseUrl}/console`);
    await page.getByLabel('API key').fill('not-the-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown API key' }).waitFor();
    await shot('sign-in-refused');
    await page.getByLabel('API key').fill(system.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Setup' }).waitFor();
    await shot('setup-empty');
    expect(await page.getByTestId('step-push-certificate').getAttribute('class')).toBe('todo');
  });

  it('uploads the push certificate through the setup page', async () => {
    const cert = await system.apns.issuePushCertificate();
    const dir = mkdtempSync(path.join(tmpdir(), 'mdm-console-cert-'));
    writeFileSync(path.join(dir, 'push.pem'), cert.certPem);
    writeFileSync(path.join(dir, 'push.key'), cert.keyPem);
    await page.getByTestId('cert-file').setInputFiles(path.join(dir, 'push.pem'));
    await page.getByTestId('key-file').setInputFiles(path.join(dir, 'push.key'));
    await page.getByRole('button', { name: 'Upload push certificate' }).click();
    await page.getByRole('status').filter({ hasText: `Stored: ${cert.topic}` }).waitFor();
    await page.getByTestId('enroll-qr').waitFor();
    expect(await page.getByTestId('days-left').textContent()).toMatch(/^\d+$/);
    // The fake APNs' certificate is not Apple's: the page says so, and how to get the real one.
    expect(await page.getByTestId('push-certificate-not-apple').textContent()).toContain(cert.topic);
    expect(await page.getByTestId('push-certificate-how-to').textContent()).toContain('identity.apple.com');
    expect(await page.getByTestId('step-push-certificate').getAttribute('class')).toBe('done');
    expect(await page.getByTestId('step-enrollment-profile').textContent()).toContain(cert.topic);
    const stored = await system.api('GET', '/v1/apns/certificate');
    expect(stored.json.certificates.map((c: { topic: string }) => c.topic)).toEqual([cert.topic]);
    await shot('push-certificate-uploaded');
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls two simulated devices with profiles downloaded from the console', async () => {
    for (let i = 0; i < 2; i++) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the signed profile' }).click()]);
      const file = await download.path();
      const d = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: readFileSync(file), productName: 'iPhone15,2', osVersion: '17.5', isSupervised: i === 0 });
      devices.push(d);
    }
    await page.getByTestId('enrolled-count').filter({ hasText: '2' }).waitFor();
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    // The first inventory (DeviceInformation) arrives after the enrollment push wakes each device.
    const table = page.getByTestId('devices-table');
    for (const d of devices) await table.locator(`tr[data-key="${d.udid}"]`).filter({ hasText: 'iOS 17.5' }).waitFor();
    await shot('devices');
    // Keyboard: Tab reaches the rows, Enter opens the device.
    const rows = table.locator('tbody tr[data-key]');
    const second = await rows.nth(1).getAttribute('data-key');
    await rows.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    expect(await table.locator('tbody tr:focus').getAttribute('data-key')).toBe(second);
    await page.keyboard.press('Enter');
    await page.getByTestId('inventory').filter({ hasText: second! }).waitFor();
    await page.getByTestId('history-table').filter({ hasText: 'ACKNOWLEDGED' }).waitFor();
    await shot('device-page');
  });

  it('groups the devices: a static group through the device search, a dynamic one by rule', async () => {
    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByText('New group').click();
    await page.locator('#group-name').fill('Console phones');
    // Both simulated devices are iPhone15,2: the search finds them by model.
    await page.getByLabel('Add devices').fill('iphone15');
    for (const d of devices) await page.getByRole('button', { name: `pick ${d.udid}` }).click();
    await shot('group-static-form');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: /Console phones/ }).waitFor();
    const members = page.getByTestId('group-members-table');
    for (const d of devices) await members.locator(`tr[data-key="${d.udid}"]`).waitFor();
    // Renamed through the edit form.
    await page.getByText('Edit', { exact: true }).click();
    await page.locator('#edit-group-name').fill('Console iPhones');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /Console iPhones/ }).waitFor();
    await shot('group-static');

    await page.getByRole('link', { name: '← Device groups' }).click();
    await page.getByText('New group').click();
    await page.locator('#group-name').fill('Supervised');
    await page.getByLabel(/dynamic/).check();
    await page.getByTestId('rule-supervised').selectOption('true');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: /Supervised/ }).waitFor();
    await page.getByTestId('group-members-table').locator(`tr[data-key="${devices[0]!.udid}"]`).waitFor();
    expect(await page.getByTestId('group-members-table').locator('tr[data-key]').count()).toBe(1);
    await shot('group-dynamic');
    const groups = await system.api('GET', '/v1/device-groups');
    expect(groups.json.groups.map((g: { name: string; devices: number; rule: unknown }) => [g.name, g.devices, g.rule])).toEqual([
      ['Console iPhones', 2, null],
      ['Supervised', 1, { supervised: true }],
    ]);
  });

  it('creates the passcode profile from the catalog form, assigns it to a group, and sees it installed', async () => {
    await page.getByRole('link', { name: 'Profiles', exact: true }).click();
    await page.getByRole('link', { name: 'New profile' }).click();
    await page.locator('#profile-name').fill('Passcode');
    await page.locator('#profile-identifier').fill('com.example.console.passcode');
    const form = page.locator('fieldset[data-payload="com.apple.mobiledevice.passwordpolicy"]');
    await form.locator('[data-key="forcePIN"]').selectOption('true');
    await form.locator('[data-key="allowSimple"]').selectOption('false');
    // Out of the catalog's range (0–16): the form says so and will not submit.
    await form.locator('[data-key="minLength"]').fill('40');
    await form.getByText('at most 16').waitFor();
    expect(await page.getByRole('button', { name: 'Create profile' }).isDisabled()).toBe(true);
    await form.locator('[data-key="minLength"]').fill('6');
    await shot('profile-editor');
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.getByRole('heading', { name: /Passcode/ }).waitFor();
    // By group, found by name: no checkbox per device.
    const assign = page.getByTestId('assignments');
    await assign.getByLabel('Find groups').fill('iphones');
    await assign.locator('label', { hasText: 'Console iPhones' }).getByRole('checkbox').check();
    expect(await assign.locator('label', { hasText: 'Supervised' }).count()).toBe(0);
    await assign.getByRole('button', { name: 'Assign 1' }).click();
    await assign.getByLabel('assigned now').filter({ hasText: 'Console iPhones' }).waitFor();
    const status = page.getByTestId('profile-devices-table');
    for (const d of devices) await status.locator(`tr[data-key="${d.udid}"]`).filter({ hasText: 'installed' }).waitFor({ timeout: 60_000 });
    await shot('profile-installed');
    // What the UI says is what the devices hold.
    for (const d of devices) {
      const held = d.installedProfiles.get('com.example.console.passcode');
      expect(held?.payloads.find((p) => p.type === 'com.apple.mobiledevice.passwordpolicy')?.settings).toMatchObject({ forcePIN: true, allowSimple: false, minLength: 6 });
    }
    // Its signed .mobileconfig downloads.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed .mobileconfig' }).click()]);
    expect(download.suggestedFilename()).toBe('com.example.console.passcode.mobileconfig');
    expect(readFileSync(await download.path()).length).toBeGreaterThan(1000);
  });

  it('sends DeviceInformation to both devices and watches it reach ACKNOWLEDGED', async () => {
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByTestId('devices-table').locator('tr[data-key]').nth(1).waitFor();
    await page.getByLabel('Select all on this page').check();
    const bulk = page.getByTestId('bulk-command');
    await bulk.getByTestId('request-type').selectOption('DeviceInformation');
    await bulk.locator('[data-key="Queries"]').selectOption(['DeviceName', 'OSVersion', 'BatteryLevel']);
    await shot('bulk-command-form');
    await bulk.getByRole('button', { name: 'Send DeviceInformation to 2 devices' }).click();
    await page.waitForURL(/\/console\/commands\/[0-9a-f-]{36}$/);
    const uuid = page.url().split('/').pop()!;
    await page.getByTestId('status-counts').locator('[data-status="ACKNOWLEDGED"]').filter({ hasText: '2' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('command-progress').filter({ hasText: 'finished' }).waitFor();
    await shot('command-acknowledged');
    const res = await system.api('GET', `/v1/commands/${uuid}`);
    expect(res.json.requestType).toBe('DeviceInformation');
    expect(res.json.counts).toEqual({ ACKNOWLEDGED: 2 });
    expect(res.json.command.Queries).toEqual(['DeviceName', 'OSVersion', 'BatteryLevel']);
  });

  it("shows a device's full inventory, and after a refresh what changed", async () => {
    const device = devices[0]!;
    await page.goto(`${system.baseUrl}/console/devices/${device.udid}`);
    const inventory = page.getByTestId('full-inventory');
    await inventory.getByLabel('Hardware').getByText(device.serialNumber).waitFor();
    await inventory.getByTestId('certificates-table').getByText('identity').first().waitFor();
    // The device changes; the operator's refresh finds it and the history says so.
    device.state.passcodePresent = !device.state.passcodePresent;
    await inventory.getByRole('button', { name: 'Refresh inventory' }).click();
    await inventory.getByTestId('inventory-changes-table').getByText('SecurityInfo.PasscodePresent').waitFor({ timeout: 60_000 });
    await shot('device-inventory');
  });

  it('shows the events log, adds new events from the stream without re-reading, and expands their data', async () => {
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    const table = page.getByTestId('events-table');
    await table.filter({ hasText: 'profile.installed' }).waitFor();
    await page.getByLabel('Type').fill('command.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await table.locator('tbody tr', { hasText: 'command.acknowledged' }).first().waitFor();
    await page.getByTestId('live-state').filter({ hasText: 'live (event stream)' }).waitFor();
    const readsBefore = eventReads;
    const acknowledged = table.locator('tbody tr', { hasText: 'command.acknowledged' });
    const before = await acknowledged.count();
    // A command sent elsewhere: its events appear here as they happen.
    const sent = await system.api('POST', '/v1/commands', { udids: [devices[0]!.udid], command: { RequestType: 'DeviceInformation', Queries: ['DeviceName'] } });
    expect(sent.status).toBe(201);
    const commandUuid: string = sent.json.commandUuid;
    await acknowledged.nth(before).waitFor({ timeout: 60_000 });
    // On top, and without the page reading the log again: it came from the stream.
    const newest = table.locator('tbody tr').first();
    expect(await newest.textContent()).toContain('command.acknowledged');
    expect(eventReads).toBe(readsBefore);
    await newest.locator('summary').click();
    await newest.getByTestId('event-json').filter({ hasText: commandUuid }).waitFor();
    await shot('events-live');
    // A check-in event's rawPayload (base64 of the device's plist) is shown decoded.
    await page.getByLabel('Type').fill('device.token_updated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await table.locator('tbody tr', { hasText: 'device.token_updated' }).first().locator('summary').click();
    await table.getByText('decoded from base64').first().waitFor();
    expect(await table.locator('pre', { hasText: '<key>MessageType</key>' }).count()).toBeGreaterThan(0);
    await shot('events-decoded');
  });

  it('creates an API key, showing its secret once, and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.locator('#key-name').fill('ci-deploy');
    await page.getByRole('checkbox', { name: 'commands (queue, cancel, push)' }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretBox = page.getByTestId('new-key-secret');
    const secret = (await secretBox.locator('code').textContent()) ?? '';
    expect(secret).toMatch(/^mdm_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('api-keys-table').locator('tr', { hasText: 'ci-deploy' }).filter({ hasText: 'read, commands' }).waitFor();
    await shot('api-key-created');
    // The secret works, and is gone from the page once dismissed: the list never shows it.
    expect((await system.api('GET', '/v1/devices', undefined, { authorization: `Bearer ${secret}` })).status).toBe(200);
    await secretBox.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(secret).count()).toBe(0);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('api-keys-table').locator('tr', { hasText: 'ci-deploy' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('status').filter({ hasText: 'Key "ci-deploy" revoked.' }).waitFor();
    // Revoked keys leave the list (they are shown on request).
    await page.getByTestId('api-keys-table').locator('tr', { hasText: 'ci-deploy' }).waitFor({ state: 'detached' });
    await shot('api-key-revoked');
    expect((await system.api('GET', '/v1/devices', undefined, { authorization: `Bearer ${secret}` })).status).toBe(401);
  });

  it('had no script errors and followed the event stream', async () => {
    expect(pageErrors).toEqual([]);
    // The live views followed the server-sent event stream (polling is only the fallback).
    expect(streams.length).toBeGreaterThan(0);
    expect(streams.every((status) => status === 200)).toBe(true);
  });

  it('opens the API docs only with a key, which the page sends with every request', async () => {
    const docs = await context.newPage();
    const errors: string[] = [];
    docs.on('pageerror', (err) => errors.push(err.message));
    const described: Array<string | undefined> = [];
    const called: Array<string | undefined> = [];
    docs.on('request', (req) => {
      const { pathname } = new URL(req.url());
      if (pathname === '/openapi.json') described.push(req.headers()['authorization']);
      if (pathname === '/v1/devices') called.push(req.headers()['authorization']);
    });
    try {
      await docs.goto(`${system.baseUrl}/docs`);
      await docs.getByLabel('API key').fill('not-the-key-0123456789');
      await docs.getByRole('button', { name: 'Show the API' }).click();
      await docs.locator('#error').filter({ hasText: '401: unknown API key' }).waitFor();
      await shot('api-docs-key-refused', docs);
      expect(await docs.locator('.opblock').count()).toBe(0);
      await docs.getByLabel('API key').fill(system.apiKey);
      await docs.getByRole('button', { name: 'Show the API' }).click();
      await docs.locator('.opblock-summary-path', { hasText: '/v1/commands/{commandUuid}' }).first().waitFor();
      await shot('api-docs', docs);
      // "Try it out" sends the key too.
      const op = docs.locator('#operations-devices-get_v1_devices');
      await op.locator('.opblock-summary').click();
      await op.getByRole('button', { name: 'Try it out' }).click();
      await op.getByRole('button', { name: 'Execute' }).click();
      await op.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();
      expect(called).toEqual([`Bearer ${system.apiKey}`]);
      // The key stays for the tab: a reload shows the API without asking again.
      await docs.reload();
      await docs.locator('.opblock-summary-path', { hasText: '/v1/devices' }).first().waitFor();
      expect(await docs.getByLabel('API key').isVisible()).toBe(false);
      await docs.getByRole('button', { name: 'Forget the key' }).click();
      await docs.getByLabel('API key').waitFor();
      expect(await docs.evaluate('sessionStorage.length')).toBe(0);
      expect(described).toEqual(['Bearer not-the-key-0123456789', `Bearer ${system.apiKey}`, `Bearer ${system.apiKey}`]);
      expect(errors).toEqual([]);
    } finally {
      await docs.close();
    }
  });
});
