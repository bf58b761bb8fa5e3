import { X509Certificate } from 'node:crypto';
import { degenerateCertificates, type CertificateAndKey } from '@mdm/pki';
import { createDeviceIdentity } from './device-simulator';
import { scepEnroll } from './scep-client';
import { spki, startScepServer } from './scep-spec-support';
import { createTestDeviceCa } from './test-pki';

describe('scepEnroll over HTTP', () => {
  let ca: CertificateAndKey;
  let server: Awaited<ReturnType<typeof startScepServer>>;
  let caCertBody: (() => { body: Buffer; type: string }) | undefined;

  beforeAll(async () => {
    ca = await createTestDeviceCa();
    server = await startScepServer(ca, { challenge: 'let-me-in', caCertBody: () => caCertBody?.() ?? { body: new X509Certificate(ca.certPem).raw, type: 'application/x-x509-ca-cert' } });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    caCertBody = undefined;
    server.methods.length = 0;
  });

  it.each(['POST', 'GET'] as const)('enrolls with %s and gets a certificate for its key from the CA', async (method) => {
    const result = await scepEnroll({ url: server.url, challenge: 'let-me-in', subject: 'CN=http device', method });
    expect(server.methods).toEqual([method]);
    const cert = new X509Certificate(result.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki(result.keyPem));
    expect(cert.subject).toBe('CN=http device');
    expect(result.caCertPem).toBe(new X509Certificate(ca.certPem).toString());
  });

  it('reads a degenerate PKCS#7 GetCACert answer, then renews with the issued identity', async () => {
    caCertBody = () => ({ body: degenerateCertificates([ca.certPem]), type: 'application/x-x509-ca-ra-cert' });
    const first = await scepEnroll({ url: server.url, challenge: 'let-me-in' });
    const renewed = await scepEnroll({ url: server.url, renew: first });
    expect(renewed.keyPem).not.toBe(first.keyPem);
    expect(new X509Certificate(renewed.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it('checks the profile CAFingerprint against GetCACert', async () => {
    const der = new X509Certificate(ca.certPem).raw;
    const { createHash } = await import('node:crypto');
    await expect(scepEnroll({ url: server.url, challenge: 'let-me-in', caFingerprint: createHash('sha1').update(der).digest() })).resolves.toBeDefined();
    await expect(scepEnroll({ url: server.url, challenge: 'let-me-in', caFingerprint: Buffer.alloc(20) })).rejects.toThrow(/CAFingerprint/);
  });

  it('throws ScepFailure(badRequest) for a wrong challenge', async () => {
    await expect(scepEnroll({ url: server.url, challenge: 'wrong' })).rejects.toMatchObject({ name: 'ScepFailure', failInfo: 'badRequest', httpStatus: 200 });
  });

  it('throws ScepFailure(badRequest) for a renewal signed by an untrusted identity', async () => {
    const stranger = await createDeviceIdentity(await createTestDeviceCa({ commonName: 'Stranger CA' }));
    await expect(scepEnroll({ url: server.url, renew: stranger })).rejects.toMatchObject({ failInfo: 'badRequest' });
  });

  it('throws ScepFailure(http, status) on a non-200 answer', async () => {
    await expect(scepEnroll({ url: server.url.replace('/scep', '/nope'), challenge: 'let-me-in' })).rejects.toMatchObject({ failInfo: 'http', httpStatus: 404 });
  });
});

