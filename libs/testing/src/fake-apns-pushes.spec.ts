import { X509Certificate } from 'node:crypto';
import * as http2 from 'node:http2';
import { FakeApns } from './fake-apns';
import { pushesAfter } from './fake-apns-pushes';

// Key generation for the fake's CAs is slow on a busy machine.
jest.setTimeout(60_000);

describe('the fake APNs for a local trial', () => {
  let fake: FakeApns;
  let session: http2.ClientHttp2Session;
  let topic: string;

  beforeAll(async () => {
    fake = await FakeApns.start();
    const cert = await fake.issuePushCertificate({ topic: 'com.apple.mgmt.External.TEST-ONLY-x', label: 'TEST ONLY - local fake APNs (not from Apple)' });
    topic = cert.topic;
    session = http2.connect(fake.url, { ca: fake.caPem, cert: cert.certPem, key: cert.keyPem });
  });

  afterAll(async () => {
    session?.close();
    await fake?.close();
  });

  const push = (token: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': `/3/device/${token}`, 'apns-topic': topic, 'apns-push-type': 'mdm' });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end('{"mdm":"magic"}');
    });

  it('issues a push certificate whose subject says what it is', async () => {
    const cert = await fake.issuePushCertificate({ label: 'TEST ONLY - local fake APNs (not from Apple)' });
    expect(new X509Certificate(cert.certPem).subject.split('\n')).toEqual([
      `UID=${cert.topic}`,
      'CN=TEST ONLY - local fake APNs (not from Apple)',
      'O=TEST ONLY - local fake APNs (not from Apple)',
      'C=US',
    ]);
  });

  it('answers the pushes after an index, holding the poll until one comes', async () => {
    expect(await pushesAfter(fake, Number.MAX_SAFE_INTEGER, 1000)).toEqual({ next: 0, pushes: [] });
    const waiting = pushesAfter(fake, 0, 10_000);
    expect(await push('ab'.repeat(32))).toBe(200);
    expect(await waiting).toEqual({ next: 1, pushes: [{ token: 'ab'.repeat(32), topic, receivedAt: expect.any(Number) }] });
    expect(await push('cd'.repeat(32))).toBe(200);
    expect((await pushesAfter(fake, 1, 0)).pushes.map((p) => p.token)).toEqual(['cd'.repeat(32)]);
    const started = Date.now();
    expect(await pushesAfter(fake, 2, 200)).toEqual({ next: 2, pushes: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    fake.reset();
    expect(await pushesAfter(fake, 2, 1000)).toEqual({ next: 0, pushes: [] });
  });
});
