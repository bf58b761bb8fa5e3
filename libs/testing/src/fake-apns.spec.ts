import { X509Certificate } from 'node:crypto';
import * as http2 from 'node:http2';
import { createCertificateAuthority, issueKeyAndCertificate } from '@mdm/pki';
import { FakeApns } from './fake-apns';
import { eventually } from './eventually';

const TOKEN = 'ab'.repeat(32);

interface RawAnswer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** A bare HTTP/2 client, so the fake's checks are tested without our APNs client's own correctness in the way. */
function rawRequest(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let text = '';
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve({ status, headers: responseHeaders, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

describe('FakeApns', () => {
  let fake: FakeApns;
  let cert: { certPem: string; keyPem: string; topic: string };
  let session: http2.ClientHttp2Session;

  beforeAll(async () => {
    fake = await FakeApns.start();
    cert = await fake.issuePushCertificate();
    session = http2.connect(fake.url, { ca: fake.caPem, cert: cert.certPem, key: cert.keyPem });
    session.on('error', () => undefined);
  });
  afterAll(async () => {
    session.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  function push(overrides: http2.OutgoingHttpHeaders = {}, body: string | undefined = '{"mdm":"magic"}'): Promise<RawAnswer> {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': `/3/device/${TOKEN}`,
      'apns-topic': cert.topic,
      'apns-push-type': 'mdm',
      'apns-priority': '10',
      'apns-expiration': '1900000000',
      ...overrides,
    };
    for (const key of Object.keys(headers)) if (headers[key] === undefined) delete headers[key];
    return rawRequest(session, headers, body);
  }

  it('issues push certificates shaped like Apple\'s, with the topic in the subject UID', () => {
    expect(cert.topic).toMatch(/^com\.apple\.mgmt\.External\.[0-9a-f-]{36}$/);
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.subject).toContain(`UID=${cert.topic}`);
    expect(x509.subject).toMatch(/CN=APSP:[0-9a-f-]{36}/);
    expect(x509.verify(new X509Certificate(fake.clientCaPem).publicKey)).toBe(true);
  });

  it('accepts a well-formed MDM push, answers 200 with an apns-id and records it', async () => {
    const id = '6f1e1c7a-0c55-4d0b-9b67-1f1a4e0b6d1e';
    const answer = await push({ 'apns-id': id });
    expect(answer.status).toBe(200);
    expect(answer.headers['apns-id']).toBe(id);
    expect(answer.body).toBe('');
    const [recorded] = await fake.waitForPushes(1);
    expect(recorded).toMatchObject({
      token: TOKEN,
      topic: cert.topic,
      pushType: 'mdm',
      priority: 10,
      expiration: 1900000000,
      apnsId: id,
      body: { mdm: 'magic' },
      method: 'POST',
    });
    const fingerprint = new X509Certificate(cert.certPem).fingerprint256.replace(/:/g, '').toLowerCase();
    expect(recorded.clientCertFingerprint).toBe(fingerprint);
  });

  it('accepts a push without apns-topic and apns-push-type, as Apple does for a single-topic certificate', async () => {
    const answer = await push({ 'apns-topic': undefined, 'apns-push-type': undefined, 'apns-priority': undefined, 'apns-expiration': undefined });
    expect(answer.status).toBe(200);
    const [recorded] = await fake.waitForPushes(1);
    expect(recorded).toMatchObject({ token: TOKEN, topic: '', pushType: '', priority: 10, expiration: 0, body: { mdm: 'magic' } });
  });

  it('generates an apns-id when the request has none', async () => {
    const answer = await push();
    expect(answer.headers['apns-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each<[string, http2.OutgoingHttpHeaders, string | undefined, number, string]>([
    ['wrong method', { ':method': 'PUT' }, undefined, 405, 'MethodNotAllowed'],
    ['wrong path', { ':path': '/2/device/' + TOKEN }, undefined, 404, 'BadPath'],
    ['no token', { ':path': '/3/device/' }, undefined, 400, 'MissingDeviceToken'],
    ['short token', { ':path': '/3/device/abcd' }, undefined, 400, 'BadDeviceToken'],
    ['non-hex token', { ':path': '/3/device/' + 'zz'.repeat(32) }, undefined, 400, 'BadDeviceToken'],
    ['empty topic', { 'apns-topic': '' }, undefined, 400, 'MissingTopic'],
    ['malformed topic', { 'apns-topic': 'com apple' }, undefined, 400, 'BadTopic'],
    ['topic of another certificate', { 'apns-topic': 'com.apple.mgmt.External.other' }, undefined, 400, 'TopicDisallowed'],
    ['alert push type', { 'apns-push-type': 'alert' }, undefined, 400, 'InvalidPushType'],
    ['empty push type', { 'apns-push-type': '' }, undefined, 400, 'InvalidPushType'],
    ['priority 7', { 'apns-priority': '7' }, undefined, 400, 'BadPriority'],
    ['expiration not a number', { 'apns-expiration': 'tomorrow' }, undefined, 400, 'BadExpirationDate'],
    ['apns-id not a UUID', { 'apns-id': 'nope' }, undefined, 400, 'BadMessageId'],
    ['collapse id too long', { 'apns-collapse-id': 'x'.repeat(65) }, undefined, 400, 'BadCollapseId'],
    ['empty body', {}, '', 400, 'PayloadEmpty'],
    ['body without mdm', {}, '{"aps":{}}', 400, 'PayloadEmpty'],
    ['body not JSON', {}, 'mdm', 400, 'PayloadEmpty'],
    ['body too large', {}, JSON.stringify({ mdm: 'x'.repeat(5000) }), 413, 'PayloadTooLarge'],
  ])('rejects %s like APNs', async (_name, headers, body, status, reason) => {
    const answer = await push(headers, body ?? '{"mdm":"magic"}');
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toEqual({ reason });
    expect(fake.requests).toHaveLength(1);
    expect(fake.pushes).toHaveLength(0);
  });

  it('rejects repeated apns headers with DuplicateHeaders', async () => {
    const answer = await rawRequest(
      session,
      {
        ':method': 'POST',
        ':path': `/3/device/${TOKEN}`,
        'apns-topic': cert.topic,
        'apns-push-type': 'mdm',
        'apns-priority': ['10', '5'],
      },
      '{"mdm":"magic"}',
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ reason: 'DuplicateHeaders' });
  });

  it('answers what the handler scripts, with a timestamp for 410', async () => {
    fake.respondWith((req) => (req.token === TOKEN ? { status: 410, reason: 'Unregistered', timestamp: 1234 } : undefined));
    const answer = await push();
    expect(answer.status).toBe(410);
    expect(JSON.parse(answer.body)).toEqual({ reason: 'Unregistered', timestamp: 1234 });
    expect(fake.pushes).toHaveLength(0);
  });

  it('refuses a stream when scripted to', async () => {
    fake.respondWith(() => ({ status: 200, refuseStream: true }));
    await expect(push()).rejects.toMatchObject({ code: 'ERR_HTTP2_STREAM_ERROR' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.pushes).toHaveLength(0);
  });

  it('waitForPushes fails with a count when too few arrive', async () => {
    await expect(fake.waitForPushes(1, 50)).rejects.toThrow(/expected 1 accepted pushes within 50 ms, got 0/);
  });

  /** TLS 1.3 lets the client finish its handshake before the server checks the certificate, so the refusal shows as a closed connection. */
  function attempt(options: http2.SecureClientSessionOptions): Promise<{ answered: boolean; settings: boolean }> {
    const client = http2.connect(fake.url, { ca: fake.caPem, ...options });
    return new Promise((resolve) => {
      let answered = false;
      let settings = false;
      client.on('error', () => undefined);
      client.on('remoteSettings', () => (settings = true));
      const done = (): void => {
        client.destroy();
        resolve({ answered, settings });
      };
      client.on('close', done);
      const stream = client.request({ ':method': 'POST', ':path': `/3/device/${TOKEN}` });
      stream.on('response', () => (answered = true));
      stream.on('error', () => undefined);
      stream.on('close', done);
      stream.end('{"mdm":"x"}');
    });
  }

  it('refuses a client certificate from another CA during the handshake', async () => {
    const otherCa = await createCertificateAuthority({ commonName: 'Not Apple' });
    const stranger = await issueKeyAndCertificate({
      issuer: otherCa,
      subject: `UID=${cert.topic}, CN=APSP:x, C=US`,
      extendedKeyUsage: ['clientAuth'],
    });
    expect(await attempt({ cert: stranger.certPem, key: stranger.keyPem })).toEqual({ answered: false, settings: false });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses an expired push certificate', async () => {
    const expired = await fake.issuePushCertificate({ notBefore: new Date(Date.now() - 2 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
    expect(await attempt({ cert: expired.certPem, key: expired.keyPem })).toEqual({ answered: false, settings: false });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a client that presents no certificate', async () => {
    expect(await attempt({})).toEqual({ answered: false, settings: false });
    expect(fake.requests).toHaveLength(0);
  });

  it('advertises a new stream limit to connected sessions', async () => {
    await push();
    fake.setMaxConcurrentStreams(3);
    await eventually(() => expect(session.remoteSettings.maxConcurrentStreams).toBe(3));
    fake.setMaxConcurrentStreams(1000);
    await eventually(() => expect(session.remoteSettings.maxConcurrentStreams).toBe(1000));
  });
});

describe('eventually', () => {
  it('returns the first value that does not throw', async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      return calls;
    }, { intervalMs: 1 });
    expect(value).toBe(3);
  });

  it('throws the last error with the message when time runs out', async () => {
    await expect(
      eventually(() => Promise.reject(new Error('still 0')), { timeoutMs: 30, intervalMs: 5, message: 'waiting for pushes' }),
    ).rejects.toThrow(/^waiting for pushes \(after \d+ attempts in 30 ms\): still 0$/);
  });
});

describe('FakeApns under another host name', () => {
  it('serves a certificate for the names it is given, so a client that knows only Apple\'s host can trust it', async () => {
    const fake = await FakeApns.start({ serverNames: ['api.push.apple.com'] });
    const cert = await fake.issuePushCertificate();
    const session = http2.connect(fake.url, { ca: fake.caPem, cert: cert.certPem, key: cert.keyPem, servername: 'api.push.apple.com' });
    try {
      const answer = await rawRequest(session, { ':method': 'POST', ':path': `/3/device/${TOKEN}` }, '{"mdm":"magic"}');
      expect(answer.status).toBe(200);
    } finally {
      session.close();
      await fake.close();
    }
  });
});
