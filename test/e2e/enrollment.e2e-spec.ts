import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { Client } from 'pg';
import { generateRsaKeyPair, parseAttachedSignedData, TrustStore } from '@mdm/pki';
import { buildPlist, parsePlistDict, type PlistDict } from '@mdm/protocol';
import { buildScepPkiMessage, connectSession, DeviceSimulator, eventually, readCertRep, readEnrollmentProfile, scepEnroll, ScepFailure } from '@mdm/testing';
import { TestSystem } from './system';
import { itWithShared, sharedPath } from '../support/shared-checkout';

jest.setTimeout(120_000);

const FIXTURES = sharedPath('fixtures/nanomdm');

/**
 * Over-the-air enrollment as an iPhone does it: download the signed profile, get an identity
 * through SCEP with the profile's one-time challenge, then check in with that identity.
 */
describe('enrollment and device identity', () => {
  let system: TestSystem;
  let topic: string;
  let deviceCa: X509Certificate;

  beforeAll(async () => {
    system = await TestSystem.start({ MDM_SCEP_STATIC_CHALLENGE: 'static-challenge-for-tests' });
  });

  afterAll(async () => {
    await system?.close('e2e-enrollment-services.log');
  });

  const download = async (): Promise<{ status: number; body: Buffer; type: string | null; text: string }> => {
    const res = await fetch(`${system.baseUrl}/mdm/enroll`);
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, body, type: res.headers.get('content-type'), text: body.toString('utf8') };
  };

  it('refuses to hand out a profile before a push certificate is uploaded', async () => {
    const res = await download();
    expect(res.status).toBe(409);
    expect(res.text).toMatch(/upload/i);
    topic = await system.uploadPushCertificate();
  });

  it('serves the device CA and SCEP capabilities', async () => {
    const caps = await (await fetch(`${system.baseUrl}/scep?operation=GetCACaps`)).text();
    expect(caps.split('\n')).toEqual(expect.arrayContaining(['POSTPKIOperation', 'SHA-256', 'AES', 'Renewal']));
    const res = await fetch(`${system.baseUrl}/scep?operation=GetCACert`);
    expect(res.headers.get('content-type')).toMatch(/application\/x-x509-ca-cert/);
    deviceCa = new X509Certificate(Buffer.from(await res.arrayBuffer()));
    expect(deviceCa.ca).toBe(true);
    expect((await fetch(`${system.baseUrl}/scep?operation=Nope`)).status).toBe(400);
  });

  it('signs the enrollment profile and fills it as Apple specifies', async () => {
    const res = await download();
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/x-apple-aspen-config/);
    const signed = await parseAttachedSignedData(res.body);
    // The default profile signer is issued by the server's own CA.
    new TrustStore([deviceCa]).verify(signed.signer);
    const profile = parsePlistDict(signed.content);
    expect(profile).toMatchObject({ PayloadType: 'Configuration', PayloadVersion: 1 });
    const payloads = profile['PayloadContent'] as PlistDict[];
    const scep = payloads.find((p) => p['PayloadType'] === 'com.apple.security.scep')!;
    const mdm = payloads.find((p) => p['PayloadType'] === 'com.apple.mdm')!;
    expect(scep['PayloadContent']).toMatchObject({ URL: `${system.baseUrl}/scep`, Keysize: 2048, 'Key Usage': 5 });
    expect(mdm).toMatchObject({
      ServerURL: `${system.baseUrl}/mdm/connect`,
      CheckInURL: `${system.baseUrl}/mdm/checkin`,
      Topic: topic,
      IdentityCertificateUUID: scep['PayloadUUID'],
      SignMessage: true,
      AccessRights: 8191,
      CheckOutWhenRemoved: true,
    });
    expect(Array.isArray(mdm['ServerCapabilities'])).toBe(true);
    const info = await readEnrollmentProfile(res.body, { requireSigned: true, trust: new TrustStore([deviceCa]) });
    expect(info.mdm.topic).toBe(topic);
  });

  it('serves the profile through the admin API with per-download options', async () => {
    const res = await fetch(`${system.baseUrl}/v1/enrollment/profile?accessRights=3&unsigned=true`, { headers: { authorization: `Bearer ${system.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const mdm = (parsePlistDict(Buffer.from(await res.arrayBuffer()))['PayloadContent'] as PlistDict[]).find((p) => p['PayloadType'] === 'com.apple.mdm');
    expect(mdm).toMatchObject({ AccessRights: 3, Topic: topic });
    expect((await fetch(`${system.baseUrl}/v1/enrollment/profile`)).status).toBe(401);
    expect((await system.api('GET', '/v1/enrollment/profile?accessRights=99999')).status).toBe(400);
    expect((await system.api('GET', '/v1/enrollment/profile?topic=com.apple.mgmt.unknown')).status).toBe(404);
  });

  it('keeps named enrollment configurations, each producing its own signed profile', async () => {
    const created = await system.api('POST', '/v1/enrollment-configurations', { name: 'kiosks', accessRights: 1027, displayName: 'Kiosk iPads' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'kiosks', accessRights: 1027, topic: null });
    expect((await system.api('POST', '/v1/enrollment-configurations', { name: 'kiosks' })).status).toBe(409);
    const bad = await system.api('POST', '/v1/enrollment-configurations', { name: 'x', accessRights: 0 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/accessRights/);
    expect((await system.api('POST', '/v1/enrollment-configurations', { name: 'y', topic: 'com.apple.mgmt.nobody' })).status).toBe(404);
    const list = await system.api('GET', '/v1/enrollment-configurations');
    expect(list.json.configurations.map((c: { name: string }) => c.name)).toEqual(['kiosks']);

    const res = await fetch(`${system.baseUrl}/v1/enrollment-configurations/${created.json.id}/profile`, { headers: { authorization: `Bearer ${system.apiKey}` } });
    expect(res.status).toBe(200);
    const signed = await parseAttachedSignedData(Buffer.from(await res.arrayBuffer()));
    const profile = parsePlistDict(signed.content);
    expect(profile['PayloadDisplayName']).toBe('Kiosk iPads');
    const mdm = (profile['PayloadContent'] as PlistDict[]).find((p) => p['PayloadType'] === 'com.apple.mdm');
    expect(mdm).toMatchObject({ AccessRights: 1027, Topic: topic });

    expect((await system.api('DELETE', `/v1/enrollment-configurations/${created.json.id}`)).status).toBe(204);
    expect((await system.api('GET', `/v1/enrollment-configurations/${created.json.id}`)).status).toBe(404);
  });

  it('enrolls a device from GET /mdm/enroll alone and learns it is supervised', async () => {
    const profile = (await download()).body;
    const device = await DeviceSimulator.enroll({
      baseUrl: system.baseUrl,
      profile,
      trust: new TrustStore([deviceCa]),
      requireSigned: true,
      isSupervised: true,
      osVersion: '18.1',
      productName: 'iPad14,1',
    });
    const view = await system.api('GET', `/v1/devices/${device.udid}`);
    expect(view.json).toMatchObject({ enrolled: true, tokenUpdateCount: 1 });

    // After the first TokenUpdate the server asks the device what it is, and pushes it.
    await eventually(() => {
      if (!system.apns.pushes.some((p) => p.token === device.tokenHex)) throw new Error('no push yet');
    }, { timeoutMs: 20000 });
    const answered = await connectSession(device);
    expect(answered).toEqual(['DeviceInformation', 'SecurityInfo', 'CertificateList', 'ProfileList']);
    // The enrollment service copies the answer's facts onto the device as it follows the event feed.
    await eventually(async () => {
      const after = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(after.json).toMatchObject({ supervised: true, osVersion: '18.1', productName: 'iPad14,1' });
    });

    const supervised = await system.api('GET', '/v1/devices?supervised=true&enrolled=true');
    expect(supervised.json.devices.map((d: { udid: string }) => d.udid)).toContain(device.udid);
    const byOs = await system.api('GET', '/v1/devices?os=18.1');
    expect(byOs.json.devices.map((d: { udid: string }) => d.udid)).toEqual([device.udid]);
    const paged = await system.api('GET', '/v1/devices?limit=1&offset=0');
    expect(paged.json).toMatchObject({ limit: 1, offset: 0 });
    expect(paged.json.devices).toHaveLength(1);

    const types = (await system.events(`udid=${device.udid}`)).map((e) => e.type);
    // The DeviceInformation answer is the last: its facts travel to the device record as an event.
    expect(types.filter((t) => t.startsWith('device.'))).toEqual(['device.authenticated', 'device.token_updated', 'device.enrolled', 'device.inventory_updated']);
    // A push.sent.v2 names many devices, so it is not in the device's list: found by type.
    const sent = await system.events('type=push.sent.v2');
    expect(sent.some((e) => e.data['devices'].some((d: { udid: string }) => d.udid === device.udid))).toBe(true);
  });

  it('a second TokenUpdate is a refresh, not a new enrollment', async () => {
    const device = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
    expect((await device.tokenUpdate()).status).toBe(200);
    const events = await system.events(`udid=${device.udid}&type=device.token_updated`);
    expect(events.map((e) => e.data['count'])).toEqual([1, 2]);
    expect(await system.events(`udid=${device.udid}&type=device.enrolled`)).toHaveLength(1);
  });

  describe('SCEP refusals', () => {
    const challengeOf = async (): Promise<string> => (await readEnrollmentProfile((await download()).body)).scep.challenge!;

    it('issues nothing for a wrong challenge', async () => {
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, challenge: 'not-a-challenge' })).rejects.toMatchObject({ failInfo: 'badRequest' });
    });

    it('issues nothing for a reused challenge', async () => {
      const challenge = await challengeOf();
      await scepEnroll({ url: `${system.baseUrl}/scep`, challenge });
      const second = scepEnroll({ url: `${system.baseUrl}/scep`, challenge });
      await expect(second).rejects.toBeInstanceOf(ScepFailure);
      await expect(second).rejects.toMatchObject({ failInfo: 'badRequest' });
    });

    it('accepts the static challenge from configuration, repeatedly, over GET too', async () => {
      await scepEnroll({ url: `${system.baseUrl}/scep`, challenge: 'static-challenge-for-tests' });
      const got = await scepEnroll({ url: `${system.baseUrl}/scep`, challenge: 'static-challenge-for-tests', method: 'GET' });
      expect(new X509Certificate(got.certPem).checkIssued(deviceCa)).toBe(true);
    });

    it('issues nothing for an expired challenge', async () => {
      const challenge = await challengeOf();
      // Time travel for the one challenge the server knows: expire everything minted so far.
      const db = new Client({ connectionString: system.env['DATABASE_URL'] });
      await db.connect();
      await db.query(`UPDATE enrollment_challenges SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
      await db.end();
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, challenge })).rejects.toMatchObject({ failInfo: 'badRequest' });
    });

    it('issues for the CSR key to a PKCSReq signed by a throwaway self-signed certificate, and encrypts to that certificate', async () => {
      const got = await scepEnroll({ url: `${system.baseUrl}/scep`, challenge: await challengeOf(), throwawaySigner: true });
      const cert = new X509Certificate(got.certPem);
      expect(cert.checkIssued(deviceCa)).toBe(true);
      expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(createPublicKey(got.keyPem).export({ format: 'der', type: 'spki' }));
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, challenge: 'not-a-challenge', throwawaySigner: true })).rejects.toMatchObject({ failInfo: 'badRequest' });
    });

    it('issues nothing to a PKCSReq signed by an issued identity on another key (that is a renewal)', async () => {
      const challenge = await challengeOf();
      const mine = await generateRsaKeyPair();
      const stranger = await system.device(topic); // identity from the test's own CA
      const pending = await buildScepPkiMessage({
        recipientCertPem: deviceCa.toString(),
        keyPem: mine.keyPem,
        publicKeyPem: mine.publicKeyPem,
        subject: 'CN=mine',
        challenge,
        encryption: 'AES-256-CBC',
        digest: 'SHA-256',
        signer: stranger.identity,
      });
      const res = await fetch(`${system.baseUrl}/scep?operation=PKIOperation`, {
        method: 'POST',
        body: pending.message,
        headers: { 'content-type': 'application/x-pki-message' },
      });
      expect(res.status).toBe(200);
      const reply = Buffer.from(await res.arrayBuffer());
      let refusal: unknown;
      try {
        readCertRep(reply, pending, [deviceCa.toString()]);
      } catch (err) {
        refusal = err;
      }
      expect(refusal).toBeInstanceOf(ScepFailure);
      expect(refusal).toMatchObject({ failInfo: 'badRequest' });
      // The challenge was not spent on the refusal.
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, challenge })).resolves.toBeDefined();
    });

    it('answers 400 to a message that is not PKCS#7', async () => {
      const res = await fetch(`${system.baseUrl}/scep?operation=PKIOperation`, { method: 'POST', body: Buffer.from('garbage'), headers: { 'content-type': 'application/x-pki-message' } });
      expect(res.status).toBe(400);
    });

    it('issues identities with client-auth EKU and a one-year validity', async () => {
      const got = await scepEnroll({ url: `${system.baseUrl}/scep`, challenge: await challengeOf() });
      const cert = new X509Certificate(got.certPem);
      expect(cert.keyUsage ?? []).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.2']));
      const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86400_000;
      expect(Math.round(days)).toBe(365);
    });
  });

  describe('renewal', () => {
    it('re-binds a device whose certificate is renewed through RenewalReq', async () => {
      const device = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
      await device.renewIdentity({ scepUrl: `${system.baseUrl}/scep` });
      expect((await device.idle()).status).toBe(200);
      expect(await system.events(`udid=${device.udid}&type=device.certificate_renewed`)).toHaveLength(1);
    });

    it('refuses renewal with a certificate this CA did not issue', async () => {
      const stranger = await system.device(topic); // identity from the test's own CA
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, renew: stranger.identity })).rejects.toMatchObject({ failInfo: 'badCertId' });
    });

    it('refuses renewal with a revoked certificate (the enrollment it belonged to was replaced)', async () => {
      const first = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
      const oldIdentity = first.identity;
      // The same device enrolls again: its old identity is revoked.
      await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]), udid: first.udid });
      await expect(scepEnroll({ url: `${system.baseUrl}/scep`, renew: oldIdentity })).rejects.toMatchObject({ failInfo: 'badCertId' });
    });
  });

  describe('check-in messages', () => {
    it('keeps a bootstrap token for the device that set it', async () => {
      const device = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
      const empty = await device.checkin({ MessageType: 'GetBootstrapToken' });
      expect(empty.status).toBe(200);
      expect(parsePlistDict(empty.body)).toEqual({});
      const token = Buffer.from('bootstrap-token-bytes');
      expect((await device.checkin({ MessageType: 'SetBootstrapToken', BootstrapToken: token })).status).toBe(200);
      const got = await device.checkin({ MessageType: 'GetBootstrapToken' });
      expect(parsePlistDict(got.body)['BootstrapToken']).toEqual(token);
      // Another device can't read it.
      const other = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
      expect((await other.withUdid(device.udid).checkin({ MessageType: 'GetBootstrapToken' })).status).toBe(401);
    });

    it('answers DeclarativeManagement and GetToken with a clear refusal', async () => {
      const device = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile: (await download()).body, trust: new TrustStore([deviceCa]) });
      const ddm = await device.checkin({ MessageType: 'DeclarativeManagement', Endpoint: 'tokens' });
      expect(ddm.status).toBe(501);
      expect(ddm.text).toMatch(/declarative/i);
      const token = await device.checkin({ MessageType: 'GetToken', TokenServiceType: 'com.apple.maid' });
      expect(token.status).toBe(501);
      expect(token.text).toMatch(/token service/i);
      expect((await device.checkin({ MessageType: 'UserAuthenticate', UserID: 'x' })).status).toBe(410);
      expect((await device.checkin({ MessageType: 'Bogus' })).status).toBe(400);
      const missing = await device.checkin({ MessageType: 'TokenUpdate', Token: Buffer.alloc(32) });
      expect(missing.status).toBe(400);
      expect(missing.text).toMatch(/PushMagic/);
    });

    itWithShared(FIXTURES)('takes the real device plists from nanomdm through the check-in path', async () => {
      const auth = readFileSync(path.join(FIXTURES, 'Authenticate.1.plist'));
      const token = readFileSync(path.join(FIXTURES, 'TokenUpdate.1.plist'));
      const fixtureTopic = parsePlistDict(auth)['Topic'] as string;
      const cert = await system.apns.issuePushCertificate({ topic: fixtureTopic });
      expect((await system.api('POST', '/v1/apns/certificates', { certificate: cert.certPem, privateKey: cert.keyPem })).status).toBeLessThan(300);
      const udid = parsePlistDict(auth)['UDID'] as string;
      const device = (await system.device(fixtureTopic)).withUdid(udid);
      expect((await device.send('/mdm/checkin', auth, { contentType: 'application/x-apple-aspen-mdm-checkin' })).status).toBe(200);
      expect((await device.send('/mdm/checkin', token, { contentType: 'application/x-apple-aspen-mdm-checkin' })).status).toBe(200);
      const view = await system.api('GET', `/v1/devices/${udid}`);
      expect(view.json).toMatchObject({ enrolled: true, serialNumber: 'F5JM992LF193', osVersion: '9.3.5', productName: 'iPad2,5' });
    });
  });

  it('refuses a tampered enrollment profile on the device side', async () => {
    const res = await download();
    const tampered = Buffer.from(res.body);
    const at = tampered.indexOf(Buffer.from('CheckOutWhenRemoved'));
    tampered[at] = 'D'.charCodeAt(0);
    await expect(readEnrollmentProfile(tampered, { requireSigned: true })).rejects.toThrow();
    // An unsigned profile is refused when a signed one is required.
    await expect(readEnrollmentProfile(Buffer.from(buildPlist({ PayloadType: 'Configuration' })), { requireSigned: true })).rejects.toThrow();
  });
});
