import { connect } from 'node:net';
import { signDetached } from '@mdm/pki';
import { buildPlist } from '@mdm/protocol';
import { CHECKIN_CONTENT_TYPE, createDeviceIdentity, DeviceSimulator } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * Hostile input through the running gateway: every case is a 4xx, the services stay up, and the
 * device row and its events are exactly what they were. What mdm-loop and enrollment already cover
 * (unsigned, foreign-CA and expired certificates, another device's certificate for a UDID, oversized
 * bodies, a missing API key, non-PKCS#7 SCEP bodies) is not repeated here.
 */
jest.setTimeout(180_000);

interface Snapshot {
  device: unknown;
  events: unknown;
}

async function snapshot(system: TestSystem, udid: string): Promise<Snapshot> {
  const device = await system.api('GET', `/v1/devices/${udid}`);
  const events = await system.events(`udid=${udid}`);
  return { device: { status: device.status, body: device.json }, events: { status: 200, body: events } };
}

/** The services answer, and nothing about the device changed. */
async function expectUnharmed(system: TestSystem, udid: string, before: Snapshot): Promise<void> {
  expect((await fetch(`${system.baseUrl}/health`)).status).toBe(200);
  expect((await fetch(`${system.baseUrl}/ready`)).status).toBe(200);
  expect(await snapshot(system, udid)).toEqual(before);
}

describe('hostile input at the gateway', () => {
  let system: TestSystem;
  let topic: string;
  let device: DeviceSimulator;
  let before: Snapshot;

  beforeAll(async () => {
    system = await TestSystem.start({ MDM_ENROLL_INVENTORY: 'false' });
    topic = await system.uploadPushCertificate();
    device = await system.enrolledDevice(topic);
  });

  beforeEach(async () => {
    before = await snapshot(system, device.udid);
    expect(before.device).toMatchObject({ status: 200, body: { enrolled: true } });
  });

  afterAll(async () => {
    await system?.close('e2e-hostile-input.log');
  });

  const tokenUpdate = () => buildPlist({ MessageType: 'TokenUpdate', UDID: device.udid, Topic: topic, Token: Buffer.alloc(32, 1), PushMagic: 'MAGIC' });

  // Signed by the enrolled device: these get past authentication and reach the parsers.
  it.each([
    ['malformed XML', () => '<?xml version="1.0"?><plist version="1.0"><dict><key>MessageType</key><string>TokenUpdate</string></plist>', /malformed/],
    [
      'entity expansion (billion laughs)',
      () =>
        `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 8 }, (_, i) => `<!ENTITY a${i + 1} "${`&a${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><plist><dict><key>MessageType</key><string>&a8;</string></dict></plist>`,
      /entity/,
    ],
    ['an external entity (XXE)', () => '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><string>&x;</string></plist>', /entity/],
    ['a binary plist', () => Buffer.concat([Buffer.from('bplist00'), Buffer.from([0xd1, 0x01, 0x02, 0x5b]), Buffer.alloc(40, 0x41)]), /binary plists/],
    ['a truncated plist', () => tokenUpdate().slice(0, 200), /malformed/],
    ['nesting over maxDepth', () => `<plist><dict><key>MessageType</key><string>TokenUpdate</string><key>X</key>${'<array>'.repeat(40)}${'</array>'.repeat(40)}</dict></plist>`, /maxDepth/],
    ['more elements than maxElements', () => `<plist><dict><key>MessageType</key><string>TokenUpdate</string><key>X</key><array>${'<true/>'.repeat(100_001)}</array></dict></plist>`, /maxElements/],
  ])('answers %s with 400 on check-in and connect, and changes nothing', async (_name, body, message) => {
    const bytes = body();
    for (const [path, contentType] of [['/mdm/checkin', CHECKIN_CONTENT_TYPE], ['/mdm/connect', 'application/x-apple-aspen-mdm']] as const) {
      const res = await device.send(path, bytes, { contentType });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.text).toMatch(message);
    }
    await expectUnharmed(system, device.udid, before);
  });

  it('answers a body truncated after it was signed with 401', async () => {
    const body = Buffer.from(tokenUpdate());
    const signature = await signDetached(body, device.identity);
    const res = await device.send('/mdm/checkin', body.subarray(0, body.length - 20), { contentType: CHECKIN_CONTENT_TYPE, headers: { 'Mdm-Signature': signature } });
    expect(res.status).toBe(401);
    await expectUnharmed(system, device.udid, before);
  });

  it('answers a genuine signature over another body with 401', async () => {
    const other = await signDetached(Buffer.from(buildPlist({ MessageType: 'CheckOut', UDID: device.udid, Topic: topic })), device.identity);
    const res = await device.send('/mdm/checkin', tokenUpdate(), { contentType: CHECKIN_CONTENT_TYPE, headers: { 'Mdm-Signature': other } });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/device authentication failed/);
    await expectUnharmed(system, device.udid, before);
  });

  it('answers a device certificate that is not valid yet with 401', async () => {
    const day = 86400_000;
    const future = await createDeviceIdentity(system.deviceCa, { notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 3 * day) });
    const res = await device.send('/mdm/checkin', tokenUpdate(), { contentType: CHECKIN_CONTENT_TYPE, sign: { identity: future } });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/not valid before/);
    await expectUnharmed(system, device.udid, before);
  });

  it('answers a replayed CheckOut from before a re-enrollment with 401 and keeps the new enrollment', async () => {
    const old = await system.enrolledDevice(topic);
    // What an eavesdropper on the old enrollment kept: the exact CheckOut request.
    const checkOut = Buffer.from(buildPlist({ MessageType: 'CheckOut', UDID: old.udid, Topic: topic }));
    const signature = await signDetached(checkOut, old.identity);
    const replay = () => old.send('/mdm/checkin', checkOut, { contentType: CHECKIN_CONTENT_TYPE, headers: { 'Mdm-Signature': signature } });
    expect((await replay()).status).toBe(200);

    // The profile is installed again: a new identity for the same UDID.
    const again = new DeviceSimulator({ baseUrl: system.baseUrl, identity: await createDeviceIdentity(system.deviceCa), topic, udid: old.udid });
    expect((await again.authenticate()).status).toBe(200);
    expect((await again.tokenUpdate()).status).toBe(200);
    const reenrolled = await snapshot(system, old.udid);
    expect(reenrolled.device).toMatchObject({ body: { enrolled: true } });

    const res = await replay();
    expect(res.status).toBe(401);
    await expectUnharmed(system, old.udid, reenrolled);
    expect((await again.idle()).status).toBe(200);
  });
});

describe('limits on rates and slow clients', () => {
  let system: TestSystem;
  let topic: string;

  beforeAll(async () => {
    system = await TestSystem.start({
      MDM_ENROLL_INVENTORY: 'false',
      MDM_RATE_LIMIT_IP_PER_SECOND: '2',
      MDM_RATE_LIMIT_IP_BURST: '40',
      MDM_RATE_LIMIT_DEVICE_PER_SECOND: '0.1',
      MDM_RATE_LIMIT_DEVICE_BURST: '3',
      MDM_HEADERS_TIMEOUT_MS: '1000',
      MDM_REQUEST_TIMEOUT_MS: '2000',
    });
    topic = await system.uploadPushCertificate();
  });

  afterAll(async () => {
    await system?.close('e2e-hostile-limits.log');
  });

  it('answers a device over its rate with 429, Retry-After and a JSON message, before it reaches a service', async () => {
    // Authenticate and TokenUpdate take two of its three requests.
    const device = await system.enrolledDevice(topic);
    const c = (await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'ProfileList' }, push: false })).json.commandUuid;
    const before = await snapshot(system, device.udid);
    const commandBefore = await system.api('GET', `/v1/commands/${c}`);
    expect((await device.idle()).command?.commandUuid).toBe(c);
    const afterFirst = await system.api('GET', `/v1/commands/${c}`);
    const res = await fetch(`${system.baseUrl}/mdm/connect`, {
      method: 'PUT',
      headers: { 'content-type': 'application/x-apple-aspen-mdm', 'mdm-signature': await signDetached(Buffer.from(buildPlist({ UDID: device.udid, Status: 'Acknowledged', CommandUUID: c })), device.identity) },
      body: buildPlist({ UDID: device.udid, Status: 'Acknowledged', CommandUUID: c }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/too many requests from this device/) });
    // The acknowledgement never arrived: the command is still where the Idle left it.
    expect(commandBefore.json.devices[0].status).toBe('QUEUED');
    expect(await system.api('GET', `/v1/commands/${c}`)).toEqual(afterFirst);
    expect((await system.api('GET', `/v1/devices/${device.udid}`)).json.enrolled).toBe(true);
    expect(before.device).toMatchObject({ status: 200 });
    // Another device from the same address is not affected.
    expect((await (await system.device(topic)).authenticate()).status).toBe(200);
  });

  /** Opens a raw connection, writes `start`, then trickles `drip` every 300 ms; resolves with what came back and when the socket closed. */
  const slowClient = (start: string, drip: string): Promise<{ answer: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      let answer = '';
      const socket = connect(system.ports.gateway, '127.0.0.1', () => socket.write(start));
      const timer = setInterval(() => socket.writable && socket.write(drip), 300);
      const guard = setTimeout(() => {
        clearInterval(timer);
        socket.destroy();
        reject(new Error('the gateway kept a slow client connected for 15 s'));
      }, 15_000);
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(guard);
        resolve({ answer, ms: Date.now() - started });
      });
    });

  it('cuts off a client trickling its headers (slowloris) with 408', async () => {
    const { answer, ms } = await slowClient('PUT /mdm/checkin HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(5000);
    expect((await fetch(`${system.baseUrl}/health`)).status).toBe(200);
  });

  it('cuts off a client trickling its body', async () => {
    const { answer, ms } = await slowClient('PUT /mdm/checkin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nContent-Type: application/x-apple-aspen-mdm-checkin\r\n\r\n', '<');
    expect(answer).toMatch(/^$|^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(6000);
    expect((await fetch(`${system.baseUrl}/health`)).status).toBe(200);
  });

  it('answers a client address over its rate with 429 on the admin API and device endpoints, and /health still answers', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, () => fetch(`${system.baseUrl}/v1/devices`, { headers: { authorization: `Bearer ${system.apiKey}` } })));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited[0]!.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/too many requests from 127\.0\.0\.1/) });
    const enrolls = await Promise.all(Array.from({ length: 10 }, () => fetch(`${system.baseUrl}/mdm/enroll`)));
    expect(enrolls.some((r) => r.status === 429)).toBe(true);
    expect((await fetch(`${system.baseUrl}/health`)).status).toBe(200);
    // The bucket refills: at 2/s, a request goes through again after the advertised wait.
    await new Promise((resolve) => setTimeout(resolve, Number(limited[0]!.headers.get('retry-after')) * 1000 + 100));
    expect((await system.api('GET', '/v1/devices')).status).toBe(200);
  });
});
