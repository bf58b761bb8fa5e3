import { randomUUID, X509Certificate } from 'node:crypto';
import { createCertificateAuthority, parseAttachedSignedData, signAttached, TrustStore } from '@mdm/pki';
import { buildPlist, parsePlistDict, type PlistDict } from '@mdm/protocol';
import { TestSystem } from './system';

jest.setTimeout(120_000);

const PASSCODE = 'com.apple.mobiledevice.passwordpolicy';

/** The acceptance example: a passcode payload in a profile that cannot be removed. */
const acceptance = (minLength: number, identifier = 'com.example.passcode') => ({
  name: 'Passcode policy',
  identifier,
  removalDisallowed: true,
  payloads: [{ type: PASSCODE, settings: { forcePIN: true, allowSimple: false, minLength, requireAlphanumeric: false } }],
});

/**
 * The Profiles API through the gateway: definitions checked against Apple's schema, versions,
 * deterministic .mobileconfig builds signed with the server's profile-signing identity, uploads.
 */
describe('configuration profiles', () => {
  let system: TestSystem;
  let deviceCa: X509Certificate;
  let profileId: string;
  let v1Xml: string;

  beforeAll(async () => {
    system = await TestSystem.start();
    const res = await fetch(`${system.baseUrl}/scep?operation=GetCACert`);
    deviceCa = new X509Certificate(Buffer.from(await res.arrayBuffer()));
  });

  afterAll(async () => {
    await system?.close('e2e-profiles-services.log');
  });

  const download = async (id: string, query = ''): Promise<{ status: number; type: string | null; body: Buffer; disposition: string | null }> => {
    const res = await fetch(`${system.baseUrl}/v1/profiles/${id}/mobileconfig${query}`, { headers: { authorization: `Bearer ${system.apiKey}` } });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      disposition: res.headers.get('content-disposition'),
      body: Buffer.from(await res.arrayBuffer()),
    };
  };

  it('creates the acceptance profile and serves it signed, parsing back to exactly its values', async () => {
    const created = await system.api('POST', '/v1/profiles', acceptance(6));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Passcode policy', identifier: 'com.example.passcode', removalDisallowed: true, version: 1, warnings: [] });
    expect(created.json.payloads).toEqual([{ type: PASSCODE, settings: { forcePIN: true, allowSimple: false, minLength: 6, requireAlphanumeric: false } }]);
    profileId = created.json.id;

    const file = await download(profileId);
    expect(file.status).toBe(200);
    expect(file.type).toMatch(/^application\/x-apple-aspen-config/);
    expect(file.disposition).toContain('com.example.passcode-v1.mobileconfig');
    const signed = await parseAttachedSignedData(file.body);
    // Signed by the identity the server's device CA issued, the one enrollment profiles carry too.
    expect(() => new TrustStore([deviceCa]).verify(signed.signer)).not.toThrow();
    expect(signed.signer.subject).toContain('Profile Signing');

    const profile = parsePlistDict(signed.content);
    expect(profile).toMatchObject({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: 'com.example.passcode',
      PayloadDisplayName: 'Passcode policy',
      PayloadRemovalDisallowed: true,
    });
    expect(profile['PayloadUUID']).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    const payloads = profile['PayloadContent'] as PlistDict[];
    expect(payloads).toHaveLength(1);
    const { PayloadUUID, ...rest } = payloads[0];
    expect(PayloadUUID).toMatch(/^[0-9A-F-]{36}$/);
    expect(PayloadUUID).not.toBe(profile['PayloadUUID']);
    expect(rest).toEqual({
      PayloadType: PASSCODE,
      PayloadVersion: 1,
      PayloadIdentifier: `com.example.passcode.${PASSCODE}.0`,
      forcePIN: true,
      allowSimple: false,
      minLength: 6,
      requireAlphanumeric: false,
    });
  });

  it('signs with the same identity as the enrollment profile', async () => {
    await system.uploadPushCertificate();
    const enroll = await fetch(`${system.baseUrl}/mdm/enroll`);
    expect(enroll.status).toBe(200);
    const enrollmentSigner = (await parseAttachedSignedData(Buffer.from(await enroll.arrayBuffer()))).signer;
    const profileSigner = (await parseAttachedSignedData((await download(profileId)).body)).signer;
    expect(profileSigner.fingerprint256).toBe(enrollmentSigner.fingerprint256);
  });

  it('builds the same version byte for byte, and the signed file carries that same XML', async () => {
    const a = await download(profileId, '?unsigned=true');
    const b = await download(profileId, '?unsigned=true');
    expect(a.status).toBe(200);
    expect(a.type).toMatch(/^application\/xml/);
    expect(a.body.equals(b.body)).toBe(true);
    const signed = await parseAttachedSignedData((await download(profileId)).body);
    expect(signed.content.equals(a.body)).toBe(true);
    v1Xml = a.body.toString('utf8');
  });

  it('keeps the version on a PUT that changes nothing and bumps it when minLength changes', async () => {
    // Same definition with keys in another order: nothing a device would see changes.
    const same = acceptance(6);
    same.payloads[0].settings = { requireAlphanumeric: false, minLength: 6, allowSimple: false, forcePIN: true };
    const noop = await system.api('PUT', `/v1/profiles/${profileId}`, same);
    expect(noop.status).toBe(200);
    expect(noop.json.version).toBe(1);
    expect((await download(profileId, '?unsigned=true')).body.toString('utf8')).toBe(v1Xml);

    const changed = await system.api('PUT', `/v1/profiles/${profileId}`, acceptance(8));
    expect(changed.status).toBe(200);
    expect(changed.json.version).toBe(2);
    expect((await system.api('GET', `/v1/profiles/${profileId}`)).json).toMatchObject({ version: 2, payloads: [{ settings: { minLength: 8 } }] });

    const v2 = parsePlistDict((await parseAttachedSignedData((await download(profileId)).body)).content);
    const v1 = parsePlistDict(v1Xml);
    expect((v2['PayloadContent'] as PlistDict[])[0]['minLength']).toBe(8);
    // A new version is a new profile to the device: new UUIDs, same identifiers.
    expect(v2['PayloadUUID']).not.toBe(v1['PayloadUUID']);
    expect(v2['PayloadIdentifier']).toBe(v1['PayloadIdentifier']);
    expect((v2['PayloadContent'] as PlistDict[])[0]['PayloadUUID']).not.toBe((v1['PayloadContent'] as PlistDict[])[0]['PayloadUUID']);

    // The history rebuilds version 1 exactly.
    expect((await download(profileId, '?unsigned=true&version=1')).body.toString('utf8')).toBe(v1Xml);
    expect((await download(profileId, '?version=9')).status).toBe(404);

    const again = await system.api('PUT', `/v1/profiles/${profileId}`, { ...acceptance(8), removalDisallowed: false });
    expect(again.json.version).toBe(3);
    const v3 = parsePlistDict((await download(profileId, '?unsigned=true')).body);
    expect(v3['PayloadRemovalDisallowed']).toBeUndefined();
  });

  it('refuses to change a profile identifier', async () => {
    const res = await system.api('PUT', `/v1/profiles/${profileId}`, acceptance(8, 'com.example.other'));
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/identifier/);
  });

  it('names the payload and the key of every catalog error', async () => {
    const wrongType = await system.api('POST', '/v1/profiles', {
      name: 'bad',
      identifier: 'com.example.bad',
      payloads: [{ type: PASSCODE, settings: { minLength: '6' } }],
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.message).toContain(`payloads[0] ${PASSCODE}.minLength: must be an integer`);

    const outOfRange = await system.api('POST', '/v1/profiles', {
      name: 'bad',
      identifier: 'com.example.bad',
      payloads: [
        { type: PASSCODE, settings: { minLength: 6 } },
        { type: PASSCODE, settings: { maxFailedAttempts: 40 } },
      ],
    });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.json.message).toContain(`payloads[1] ${PASSCODE}.maxFailedAttempts: must be between 2 and 11, got 40`);
    expect(outOfRange.json.message).not.toContain('payloads[0]');

    const unknownType = await system.api('POST', '/v1/profiles', {
      name: 'bad',
      identifier: 'com.example.bad',
      payloads: [{ type: PASSCODE, settings: {} }, { type: 'com.example.nonesuch', settings: { a: 1 } }],
    });
    expect(unknownType.status).toBe(400);
    expect(unknownType.json.message).toContain('payloads[1] com.example.nonesuch: unknown payload type');

    const serverOwned = await system.api('POST', '/v1/profiles', {
      name: 'bad',
      identifier: 'com.example.bad',
      payloads: [{ type: PASSCODE, settings: { PayloadUUID: randomUUID() } }],
    });
    expect(serverOwned.status).toBe(400);
    expect(serverOwned.json.message).toContain(`payloads[0] ${PASSCODE}.PayloadUUID`);

    // Nothing was stored by the refused requests.
    expect((await system.api('GET', '/v1/profiles')).json.profiles.map((p: { identifier: string }) => p.identifier)).not.toContain('com.example.bad');
  });

  it('stores unknown keys with a warning, and unknown types only when allowed', async () => {
    const res = await system.api('POST', '/v1/profiles', {
      name: 'with extras',
      identifier: 'com.example.extras',
      payloads: [
        { type: PASSCODE, identifier: 'com.example.extras.passcode', settings: { minLength: 4, notAnAppleKey: true } },
        { type: 'com.example.nonesuch', settings: { a: 1 } },
      ],
      allowUnknown: true,
    });
    expect(res.status).toBe(201);
    expect(res.json.warnings).toEqual([
      `payloads[0] ${PASSCODE}.notAnAppleKey: unknown key; iOS will ignore it`,
      'payloads[1] com.example.nonesuch: not in the catalog; its settings are sent unchecked',
    ]);
    expect((await system.api('GET', `/v1/profiles/${res.json.id}`)).json.warnings).toEqual(res.json.warnings);
    const built = parsePlistDict((await download(res.json.id, '?unsigned=true')).body);
    const [passcode, custom] = built['PayloadContent'] as PlistDict[];
    expect(passcode).toMatchObject({ PayloadIdentifier: 'com.example.extras.passcode', minLength: 4, notAnAppleKey: true });
    expect(custom).toMatchObject({ PayloadType: 'com.example.nonesuch', PayloadIdentifier: 'com.example.extras.com.example.nonesuch.1', a: 1 });
  });

  it('answers 409 for a second profile with the same identifier', async () => {
    const res = await system.api('POST', '/v1/profiles', acceptance(6));
    expect(res.status).toBe(409);
    expect(res.json.message).toContain('com.example.passcode');
  });

  describe('upload', () => {
    const rootCa = async () => Buffer.from((await createCertificateAuthority({ commonName: 'Upload Root' })).certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

    const mobileconfig = (rootDer: Buffer, extra: PlistDict = {}): Buffer =>
      Buffer.from(
        buildPlist({
          PayloadType: 'Configuration',
          PayloadVersion: 1,
          PayloadIdentifier: 'com.example.uploaded',
          PayloadUUID: randomUUID().toUpperCase(),
          PayloadDisplayName: 'Uploaded',
          PayloadDescription: 'made elsewhere',
          PayloadRemovalDisallowed: true,
          PayloadScope: 'System',
          PayloadContent: [
            {
              PayloadType: PASSCODE,
              PayloadVersion: 1,
              PayloadIdentifier: 'com.example.uploaded.passcode',
              PayloadUUID: randomUUID().toUpperCase(),
              PayloadDisplayName: 'Passcode',
              forcePIN: true,
              minLength: 6,
              mysteryKey: 'x',
            },
            {
              PayloadType: 'com.apple.security.root',
              PayloadVersion: 1,
              PayloadIdentifier: 'com.example.uploaded.root',
              PayloadUUID: randomUUID().toUpperCase(),
              PayloadCertificateFileName: 'root.cer',
              PayloadContent: rootDer,
            },
          ],
          ...extra,
        }),
        'utf8',
      );

    it('stores a signed .mobileconfig as a profile, data values intact', async () => {
      const der = await rootCa();
      const signer = await createCertificateAuthority({ commonName: 'Someone else' });
      const signed = await signAttached(mobileconfig(der), signer);
      const res = await system.api('POST', '/v1/profiles/upload', { mobileconfig: signed.toString('base64') });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ name: 'Uploaded', identifier: 'com.example.uploaded', description: 'made elsewhere', removalDisallowed: true, version: 1 });
      expect(res.json.payloads[0]).toEqual({
        type: PASSCODE,
        identifier: 'com.example.uploaded.passcode',
        settings: { PayloadDisplayName: 'Passcode', forcePIN: true, minLength: 6, mysteryKey: 'x' },
      });
      expect(res.json.payloads[1].settings.PayloadContent).toEqual({ $data: der.toString('base64') });
      expect(res.json.warnings).toEqual(
        expect.arrayContaining([
          `payloads[0] ${PASSCODE}.mysteryKey: unknown key; iOS will ignore it`,
          expect.stringContaining('mobileconfig.PayloadScope'),
        ]),
      );

      // Re-signed with the server's identity; the certificate comes back as the same bytes.
      const file = await parseAttachedSignedData((await download(res.json.id)).body);
      expect(() => new TrustStore([deviceCa]).verify(file.signer)).not.toThrow();
      const built = parsePlistDict(file.content);
      expect(built['PayloadRemovalDisallowed']).toBe(true);
      const root = (built['PayloadContent'] as PlistDict[])[1];
      expect(root['PayloadIdentifier']).toBe('com.example.uploaded.root');
      expect(Buffer.isBuffer(root['PayloadContent']) && root['PayloadContent'].equals(der)).toBe(true);
    });

    it('refuses a signed .mobileconfig whose content was changed after signing', async () => {
      const signer = await createCertificateAuthority({ commonName: 'Someone else' });
      const signed = await signAttached(mobileconfig(await rootCa(), { PayloadIdentifier: 'com.example.tampered' }), signer);
      const at = signed.indexOf('<integer>6</integer>');
      expect(at).toBeGreaterThan(0);
      signed[at + '<integer>'.length] = '9'.charCodeAt(0);
      const res = await system.api('POST', '/v1/profiles/upload', { mobileconfig: signed.toString('base64') });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/digest|signature/);
      expect((await system.api('GET', '/v1/profiles')).json.profiles.map((p: { identifier: string }) => p.identifier)).not.toContain('com.example.tampered');
    });

    it('takes plain XML, and refuses what is not a Configuration or has unknown payload types', async () => {
      const plain = mobileconfig(await rootCa(), { PayloadIdentifier: 'com.example.plain' });
      const ok = await system.api('POST', '/v1/profiles/upload', { mobileconfig: plain.toString('base64'), name: 'Renamed' });
      expect(ok.status).toBe(201);
      expect(ok.json).toMatchObject({ name: 'Renamed', identifier: 'com.example.plain' });

      const notConfig = Buffer.from(buildPlist({ PayloadType: PASSCODE, PayloadIdentifier: 'com.example.x', PayloadContent: [] }), 'utf8');
      const bad = await system.api('POST', '/v1/profiles/upload', { mobileconfig: notConfig.toString('base64') });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toContain('PayloadType must be Configuration');

      const unknown = Buffer.from(
        buildPlist({
          PayloadType: 'Configuration',
          PayloadIdentifier: 'com.example.unknown',
          PayloadContent: [{ PayloadType: 'com.example.nonesuch', PayloadIdentifier: 'com.example.unknown.x', when: new Date('2026-01-02T03:04:05Z') }],
        }),
        'utf8',
      );
      const refused = await system.api('POST', '/v1/profiles/upload', { mobileconfig: unknown.toString('base64') });
      expect(refused.status).toBe(400);
      expect(refused.json.message).toContain('payloads[0] com.example.nonesuch: unknown payload type');
      const allowed = await system.api('POST', '/v1/profiles/upload', { mobileconfig: unknown.toString('base64'), allowUnknown: true });
      expect(allowed.status).toBe(201);
      expect(allowed.json.payloads[0].settings).toEqual({ when: { $date: '2026-01-02T03:04:05.000Z' } });

      const garbage = await system.api('POST', '/v1/profiles/upload', { mobileconfig: Buffer.from('not a profile').toString('base64') });
      expect(garbage.status).toBe(400);
    });
  });

  it('lists, deletes and answers 404 for profiles that do not exist', async () => {
    const list = await system.api('GET', '/v1/profiles');
    expect(list.status).toBe(200);
    expect(list.json.profiles.map((p: { identifier: string }) => p.identifier)).toEqual(
      expect.arrayContaining(['com.example.passcode', 'com.example.extras', 'com.example.uploaded', 'com.example.plain']),
    );

    const missing = randomUUID();
    expect((await system.api('GET', `/v1/profiles/${missing}`)).status).toBe(404);
    expect((await system.api('PUT', `/v1/profiles/${missing}`, acceptance(6, 'com.example.missing'))).status).toBe(404);
    expect((await system.api('DELETE', `/v1/profiles/${missing}`)).status).toBe(404);
    expect((await download(missing)).status).toBe(404);
    expect((await system.api('GET', '/v1/profiles/not-a-uuid')).status).toBe(400);

    expect((await system.api('DELETE', `/v1/profiles/${profileId}`)).status).toBe(204);
    expect((await system.api('GET', `/v1/profiles/${profileId}`)).status).toBe(404);
    expect((await download(profileId)).status).toBe(404);
  });
});
