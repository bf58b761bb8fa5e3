import { randomUUID, X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPlist, parsePlistDict, type PlistDict } from '@mdm/protocol';
import {
  buildCertRep,
  csrMatchesSigner,
  issueCertificate,
  issueKeyAndCertificate,
  parseScepRequest,
  SCEP_CA_CAPABILITIES,
  ScepRequestError,
  signAttached,
  TrustStore,
  verifyDetachedSignature,
  type CertificateAndKey,
} from '@mdm/pki';
import { DeviceSimulator, readEnrollmentProfile } from './device-simulator';
import { createTestDeviceCa } from './test-pki';

interface Checkin {
  path: string;
  message: PlistDict;
  signer: X509Certificate;
}

/** The parts of the server a device meets while enrolling: SCEP and the check-in endpoint. No gateway. */
async function startServer(ca: CertificateAndKey, challenge: string) {
  const checkins: Checkin[] = [];
  const scepOperations: string[] = [];
  const state = { checkinStatus: 200 };
  const handle = async (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer | string; type?: string }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/scep') {
      const operation = url.searchParams.get('operation') ?? '';
      scepOperations.push(operation);
      if (operation === 'GetCACaps') return { status: 200, body: SCEP_CA_CAPABILITIES.join('\n') };
      if (operation === 'GetCACert') return { status: 200, body: new X509Certificate(ca.certPem).raw, type: 'application/x-x509-ca-cert' };
      try {
        const parsed = await parseScepRequest(body, ca);
        const ok =
          parsed.messageType === 'RenewalReq'
            ? (() => {
                TrustStore.fromPem(ca.certPem).verify(parsed.signer);
                return true;
              })()
            : csrMatchesSigner(parsed) && parsed.csr.challengePassword === challenge;
        if (!ok) return { status: 200, body: await buildCertRep({ request: parsed, ca, result: { status: 'FAILURE', failInfo: 'badRequest' } }) };
        const { certPem } = await issueCertificate({ issuer: ca, subject: parsed.csr.subject, publicKeyPem: parsed.csr.publicKeyPem, extendedKeyUsage: ['clientAuth'] });
        return { status: 200, body: await buildCertRep({ request: parsed, ca, result: { status: 'SUCCESS', certificatePem: certPem } }) };
      } catch (err) {
        const replyTo = err instanceof ScepRequestError ? err.replyTo : undefined;
        if (!replyTo || !(err instanceof ScepRequestError)) return { status: 400, body: String(err) };
        return { status: 200, body: await buildCertRep({ request: replyTo, ca, result: { status: 'FAILURE', failInfo: err.failInfo } }) };
      }
    }
    const signature = req.headers['mdm-signature'];
    if (typeof signature !== 'string') return { status: 401, body: 'unsigned' };
    const { signer } = await verifyDetachedSignature(signature, body);
    TrustStore.fromPem(ca.certPem).verify(signer);
    checkins.push({ path: url.pathname, message: parsePlistDict(body), signer });
    return { status: state.checkinStatus, body: '' };
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks)).then(
        (r) => {
          res.writeHead(r.status, { 'Content-Type': r.type ?? 'application/x-pki-message' });
          res.end(r.body);
        },
        (err: unknown) => {
          res.writeHead(403);
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    checkins,
    scepOperations,
    state,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** Apple's enrollment profile layout, with the public URL of a server that is not the one under test. */
function enrollmentProfile(opts: { challenge: string; topic: string; identityUuid?: string; checkInUrl?: string | null }): Buffer {
  const scepUuid = randomUUID().toUpperCase();
  const mdm: PlistDict = {
    PayloadType: 'com.apple.mdm',
    PayloadIdentifier: 'com.example.mdm.mdm',
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadVersion: 1,
    ServerURL: 'https://mdm.example.com/mdm/connect',
    Topic: opts.topic,
    IdentityCertificateUUID: opts.identityUuid ?? scepUuid,
    SignMessage: true,
    AccessRights: 8191,
    CheckOutWhenRemoved: true,
    ServerCapabilities: ['com.apple.mdm.per-user-connections'],
  };
  if (opts.checkInUrl !== null) mdm.CheckInURL = opts.checkInUrl ?? 'https://mdm.example.com/mdm/checkin';
  return Buffer.from(
    buildPlist({
      PayloadType: 'Configuration',
      PayloadIdentifier: 'com.example.mdm',
      PayloadUUID: randomUUID().toUpperCase(),
      PayloadVersion: 1,
      PayloadDisplayName: 'MDM enrollment',
      PayloadContent: [
        {
          PayloadType: 'com.apple.security.scep',
          PayloadIdentifier: 'com.example.mdm.scep',
          PayloadUUID: scepUuid,
          PayloadVersion: 1,
          PayloadContent: {
            URL: 'https://mdm.example.com/scep',
            Name: 'MDM CA',
            Challenge: opts.challenge,
            Keysize: 2048,
            'Key Type': 'RSA',
            'Key Usage': 5,
            Subject: [[['O', 'Example']], [['CN', 'MDM Identity']]],
          },
        },
        mdm,
      ],
    }),
    'utf8',
  );
}

describe('enrollment from a profile, as a device does it', () => {
  let ca: CertificateAndKey;
  let profileSigner: CertificateAndKey;
  let profileCaPem: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  const topic = 'com.apple.mgmt.External.enroll-test';

  beforeAll(async () => {
    ca = await createTestDeviceCa();
    const profileCa = await createTestDeviceCa({ commonName: 'Profile Signing CA' });
    profileSigner = await issueKeyAndCertificate({ issuer: profileCa, subject: 'CN=mdm.example.com' });
    profileCaPem = profileCa.certPem;
    server = await startServer(ca, 'enroll-secret');
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.checkins.length = 0;
    server.scepOperations.length = 0;
    server.state.checkinStatus = 200;
  });

  const signed = (profile: Buffer) => signAttached(profile, profileSigner);

  it('reads a signed profile: its signer, the SCEP and MDM payloads', async () => {
    const info = await readEnrollmentProfile(await signed(enrollmentProfile({ challenge: 'enroll-secret', topic })), { requireSigned: true });
    expect(info.signer?.subject).toBe('CN=mdm.example.com');
    expect(info.scep).toEqual({ url: 'https://mdm.example.com/scep', challenge: 'enroll-secret', subject: 'O=Example, CN=MDM Identity', keySize: 2048, keyUsage: 5 });
    expect(info.mdm).toMatchObject({
      serverUrl: 'https://mdm.example.com/mdm/connect',
      checkInUrl: 'https://mdm.example.com/mdm/checkin',
      topic,
      signMessage: true,
      accessRights: 8191,
      checkOutWhenRemoved: true,
      serverCapabilities: ['com.apple.mdm.per-user-connections'],
    });
    expect(info.payload.PayloadType).toBe('Configuration');
  });

  it('refuses a signed profile changed after signing', async () => {
    const profile = await signed(enrollmentProfile({ challenge: 'enroll-secret', topic }));
    const at = profile.indexOf(Buffer.from('enroll-secret'));
    profile.write('ENROLL', at, 'ascii');
    await expect(readEnrollmentProfile(profile)).rejects.toThrow(/signature is invalid/);
  });

  it('refuses an unsigned profile when a signature is required, and a signer outside the trust store', async () => {
    const plain = enrollmentProfile({ challenge: 'enroll-secret', topic });
    await expect(readEnrollmentProfile(plain)).resolves.toMatchObject({ signer: undefined });
    await expect(readEnrollmentProfile(plain, { requireSigned: true })).rejects.toThrow(/not signed/);
    await expect(readEnrollmentProfile(await signed(plain), { trust: TrustStore.fromPem(ca.certPem) })).rejects.toThrow(/not trusted/);
    await expect(readEnrollmentProfile(await signed(plain), { trust: TrustStore.fromPem(profileCaPem) })).resolves.toBeDefined();
  });

  it('refuses a profile whose IdentityCertificateUUID names no SCEP payload', async () => {
    await expect(readEnrollmentProfile(enrollmentProfile({ challenge: 'x', topic, identityUuid: randomUUID() }))).rejects.toThrow(/names no com.apple.security.scep/);
  });

  it('enrolls: SCEP with the profile challenge, then Authenticate and TokenUpdate signed by the issued identity', async () => {
    const device = await DeviceSimulator.enroll({
      baseUrl: `${server.baseUrl}/ignored-prefix`,
      profile: await signed(enrollmentProfile({ challenge: 'enroll-secret', topic })),
      requireSigned: true,
      serialNumber: 'C02XYZ123456',
    });
    expect(server.scepOperations).toEqual(['GetCACaps', 'GetCACert', 'PKIOperation']);
    const identity = new X509Certificate(device.identity.certPem);
    expect(identity.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(identity.subject).toBe('O=Example\nCN=MDM Identity');
    expect(server.checkins.map((c) => [c.path, c.message.MessageType])).toEqual([
      ['/mdm/checkin', 'Authenticate'],
      ['/mdm/checkin', 'TokenUpdate'],
    ]);
    for (const checkin of server.checkins) {
      expect(checkin.signer.raw.equals(identity.raw)).toBe(true);
      expect(checkin.message).toMatchObject({ Topic: topic, UDID: device.udid });
    }
    expect(server.checkins[0].message.SerialNumber).toBe('C02XYZ123456');
    expect(device.topic).toBe(topic);

    const idle = await device.idle();
    expect(idle.status).toBe(200);
    expect(server.checkins[2].path).toBe('/mdm/connect');
  });

  it('sends check-in messages to ServerURL when the profile has no CheckInURL', async () => {
    await DeviceSimulator.enroll({ baseUrl: server.baseUrl, profile: enrollmentProfile({ challenge: 'enroll-secret', topic, checkInUrl: null }) });
    expect(server.checkins.map((c) => c.path)).toEqual(['/mdm/connect', '/mdm/connect']);
  });

  it('fails when SCEP refuses the challenge', async () => {
    await expect(DeviceSimulator.enroll({ baseUrl: server.baseUrl, profile: enrollmentProfile({ challenge: 'wrong', topic }) })).rejects.toMatchObject({
      name: 'ScepFailure',
      failInfo: 'badRequest',
    });
    expect(server.checkins).toHaveLength(0);
  });

  it('fails when Authenticate is not answered 200', async () => {
    server.state.checkinStatus = 401;
    await expect(DeviceSimulator.enroll({ baseUrl: server.baseUrl, profile: enrollmentProfile({ challenge: 'enroll-secret', topic }) })).rejects.toThrow(
      /Authenticate answered HTTP 401/,
    );
    expect(server.checkins).toHaveLength(1);
  });

  it('renews its identity with a RenewalReq and signs with the new one afterwards', async () => {
    const device = await DeviceSimulator.enroll({ baseUrl: server.baseUrl, profile: enrollmentProfile({ challenge: 'enroll-secret', topic }) });
    const before = device.identity;
    server.scepOperations.length = 0;
    await device.renewIdentity();
    expect(server.scepOperations).toEqual(['GetCACaps', 'GetCACert', 'PKIOperation']);
    expect(device.identity.certPem).not.toBe(before.certPem);
    expect(device.identity.keyPem).not.toBe(before.keyPem);
    expect(new X509Certificate(device.identity.certPem).subject).toBe(new X509Certificate(before.certPem).subject);
    await device.idle();
    const last = server.checkins[server.checkins.length - 1];
    expect(last.signer.raw.equals(new X509Certificate(device.identity.certPem).raw)).toBe(true);
  });

  it('cannot renew without a SCEP URL', async () => {
    const device = new DeviceSimulator({ baseUrl: server.baseUrl, identity: { certPem: ca.certPem, keyPem: ca.keyPem } });
    await expect(device.renewIdentity()).rejects.toThrow(/needs a SCEP URL/);
  });
});
