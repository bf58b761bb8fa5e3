import forge from 'node-forge';
import { spawnSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { Client } from 'pg';
import { createCertificateAuthority, issueCertificate, parseCsr } from '@mdm/pki';
import { type DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * The push certificate's life through the admin API: upload (PEM, PKCS#12, server-made key), renewal that
 * keeps the topic (and the push workers switching to it), a renewal that would orphan devices and a forced
 * one that strands them until their topic's certificate comes back, expiry warnings from the scheduled
 * check, and the events each step leaves.
 */
jest.setTimeout(120_000);

interface EventRow {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

function pkcs12Base64(certPem: string, keyPem: string | undefined, password: string): string {
  const asn1 = forge.pkcs12.toPkcs12Asn1(keyPem ? forge.pki.privateKeyFromPem(keyPem) : null, [forge.pki.certificateFromPem(certPem)], password, {
    algorithm: 'aes256',
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
}

const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
/** The stranded-topic warnings among a certificate answer's warnings (the fake's certificates also carry "not issued by Apple"). */
const strandedWarnings = (warnings: string[]): string[] => warnings.filter((w) => w.includes('have no push certificate'));

describe('push certificate lifecycle', () => {
  let system: TestSystem;
  let topic: string;
  let device: DeviceSimulator;
  let db: Client;

  const events = async (type: string): Promise<EventRow[]> => {
    return (await system.events(`type=${type}`)) as unknown as EventRow[];
  };

  /** Sends a DeviceInformation command to the device and returns the fingerprint its push went out with. */
  const pushFingerprint = async (): Promise<string | undefined> => {
    const before = system.apns.pushes.length;
    const res = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
    expect(res.status).toBeLessThan(300);
    const push = await eventually(
      () => {
        const p = system.apns.pushes.slice(before).find((x) => x.token === device.tokenHex);
        if (!p) throw new Error('no push yet');
        return p;
      },
      { timeoutMs: 20000, message: 'push for the device' },
    );
    return push.clientCertFingerprint;
  };

  beforeAll(async () => {
    // A one-second scheduler tick stands in for "run the expiry check now".
    system = await TestSystem.start({ APNS_CERT_CHECK_SECONDS: '1', MDM_ENROLL_INVENTORY: 'false' });
    db = new Client({ connectionString: system.env['DATABASE_URL'] });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close('e2e-apns-certificate.log');
  });

  describe('PKCS#12 upload errors', () => {
    it('names a wrong password', async () => {
      const cert = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { pkcs12: pkcs12Base64(cert.certPem, cert.keyPem, 'right'), password: 'wrong' });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/password is wrong/);
    });

    it('names a file without a private key', async () => {
      const cert = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { pkcs12: pkcs12Base64(cert.certPem, undefined, 'pw'), password: 'pw' });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/no private key/);
    });

    it('refuses a body with both a PEM certificate and a PKCS#12 file, naming the field', async () => {
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: 'x', pkcs12: 'AAAA' });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/pkcs12/);
    });
  });

  describe('first upload and renewal', () => {
    let firstFingerprint: string;

    it('stores a PEM pair, reports it ok but not issued by Apple, and records apns.certificate.uploaded', async () => {
      const cert = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      expect(res.status).toBe(200);
      // The fake APNs' CA plays Apple's: accepted, but flagged, since real APNs would refuse it.
      const notApple = `push certificate for ${cert.topic} was not issued by Apple's push CA`;
      expect(res.json).toMatchObject({ topic: cert.topic, action: 'uploaded', status: 'ok', issuedByApple: false, warnings: [expect.stringContaining(notApple)] });
      expect(res.json.warnings[0]).toMatch(/its issuer is "CN=Fake Apple Push CA.*APNs will refuse it/);
      topic = cert.topic;
      firstFingerprint = fingerprintOf(cert.certPem);

      const got = await system.api('GET', '/v1/apns/certificate');
      expect(got.json).toMatchObject({
        status: 'ok',
        warnings: [expect.stringContaining(notApple)],
        certificates: [{ topic, fingerprint: firstFingerprint, status: 'ok', issuedByApple: false }],
      });
      expect(got.json.certificates[0].daysLeft).toBeGreaterThan(300);
      expect((await events('apns.certificate.uploaded')).map((e) => e.data)).toEqual([
        expect.objectContaining({ topic, fingerprint: firstFingerprint }),
      ]);

      device = await system.enrolledDevice(topic);
      expect(await pushFingerprint()).toBe(firstFingerprint);
    });

    it('renews the same topic from a PKCS#12 file, and pushes then go out with the new certificate', async () => {
      const renewed = await system.apns.issuePushCertificate({ topic });
      const newFingerprint = fingerprintOf(renewed.certPem);
      const res = await system.api('PUT', '/v1/apns/certificate', { pkcs12: pkcs12Base64(renewed.certPem, renewed.keyPem, 'pw'), password: 'pw' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ topic, action: 'renewed', fingerprint: newFingerprint });

      // The workers switch on the broadcast; a push racing the reload may still use the old certificate.
      await eventually(async () => expect(await pushFingerprint()).toBe(newFingerprint), { timeoutMs: 30000, intervalMs: 200 });
      expect(await pushFingerprint()).toBe(newFingerprint);
      expect((await events('apns.certificate.renewed')).map((e) => e.data)).toEqual([
        expect.objectContaining({ topic, fingerprint: newFingerprint, previousFingerprint: firstFingerprint }),
      ]);
    });

    it('treats the same certificate sent again as unchanged', async () => {
      const current = (await system.api('GET', '/v1/apns/certificate')).json.certificates[0];
      expect(current.topic).toBe(topic);
      const before = (await events('apns.certificate.renewed')).length;
      const cert = await system.apns.issuePushCertificate({ topic });
      await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      const again = await system.api('PUT', '/v1/apns/certificate', { certificate: cert.certPem, privateKey: cert.keyPem });
      expect(again.json.action).toBe('unchanged');
      expect((await events('apns.certificate.renewed')).length).toBe(before + 1);
    });
  });

  describe('a renewal with another topic', () => {
    it('is refused with a message that it would orphan every enrolled device', async () => {
      const other = await system.apns.issuePushCertificate();
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: other.certPem, privateKey: other.keyPem });
      expect(res.status).toBe(409);
      expect(res.json.message).toMatch(/orphan every enrolled device/);
      expect(res.json.message).toContain('1 enrolled');
      const got = await system.api('GET', '/v1/apns/certificate');
      expect(got.json.certificates.map((c: { topic: string }) => c.topic)).toEqual([topic]);
    });
  });

  describe('a forced topic change', () => {
    let oldFingerprint: string;
    let newTopic: string;
    let commandUuid: string;
    const reason = (): string => `no push certificate for topic ${topic}: the device must re-enroll, or a certificate for this topic be uploaded again`;
    const command = async (uuid: string): Promise<{ status: string; statusReason: string | null }> =>
      (await system.api('GET', `/v1/commands/${uuid}`)).json.devices[0];

    it('replaces the topic (?force=true) and records how many devices it stranded, with the replacement', async () => {
      await system.enrolledDevice(topic);
      await system.enrolledDevice(topic);
      oldFingerprint = (await system.api('GET', '/v1/apns/certificate')).json.certificates[0].fingerprint;
      // The worker holds a client, and its connections, for the old topic when the replacement comes.
      expect(await pushFingerprint()).toBe(oldFingerprint);

      const next = await system.apns.issuePushCertificate();
      newTopic = next.topic;
      const res = await system.api('PUT', '/v1/apns/certificate?force=true', { certificate: next.certPem, privateKey: next.keyPem });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ topic: newTopic, action: 'replaced', previousTopic: topic });
      // Read right after the answer: the event committed with the replacement.
      expect((await events('apns.certificate.replaced')).map((e) => e.data)).toEqual([
        expect.objectContaining({ topic: newTopic, previousTopic: topic, previousFingerprint: oldFingerprint, strandedDevices: 3, restoredDevices: 0 }),
      ]);
      expect((await events('apns.certificate.renewed')).some((e) => e.data['topic'] === newTopic)).toBe(false);
    });

    it('drops the replaced certificate: a command for a stranded device stays QUEUED with the reason, its push ends with it, unsent', async () => {
      const pushesBefore = system.apns.pushes.length;
      const res = await system.api('POST', '/v1/commands', { udids: [device.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
      expect(res.status).toBeLessThan(300);
      commandUuid = res.json.commandUuid;

      const request = await eventually(
        async () => {
          const { rows } = await db.query(
            `SELECT p.status, p.outcome, p.outcome_reason FROM push_requests p JOIN devices d ON d.id = p.device_id
              WHERE d.udid = $1 ORDER BY p.id DESC LIMIT 1`,
            [device.udid],
          );
          expect(['pending', 'sending']).not.toContain(rows[0]?.status);
          return rows[0];
        },
        { timeoutMs: 20000, intervalMs: 200, message: 'the push request for the stranded device ended' },
      );
      expect(request).toEqual({ status: 'failed', outcome: 'certificate-error', outcome_reason: reason() });
      expect(system.apns.pushes.slice(pushesBefore).filter((p) => p.token === device.tokenHex || p.clientCertFingerprint === oldFingerprint)).toEqual([]);
      // Not retried: that one request is the device's last.
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM push_requests p JOIN devices d ON d.id = p.device_id WHERE d.udid = $1 AND p.status <> 'sent'`, [device.udid]);
      expect(rows[0].n).toBe(1);
      await eventually(() => expect(system.logs.some((l) => l.includes(`push certificate for ${topic} is no longer stored`))).toBe(true), {
        timeoutMs: 10000,
        message: 'the worker closed the old topic\'s client',
      });

      expect(await command(commandUuid)).toMatchObject({ status: 'QUEUED', statusReason: reason() });
      const history = await system.api('GET', `/v1/devices/${device.udid}/commands`);
      expect(history.json.commands.find((c: { commandUuid: string }) => c.commandUuid === commandUuid)).toMatchObject({ status: 'QUEUED', statusReason: reason() });
      const view = await system.api('GET', `/v1/devices/${device.udid}`);
      expect(view.json).toMatchObject({ enrolled: true, push: { pushable: false, statusReason: reason() } });
      const certs = await system.api('GET', '/v1/apns/certificate');
      expect(certs.json.strandedDevices).toEqual([{ topic, devices: 3 }]);
      expect(strandedWarnings(certs.json.warnings)).toEqual([`3 devices on topic ${topic} have no push certificate: re-enroll them, or upload a certificate for ${topic} again`]);
    });

    it('un-strands them when the old topic\'s certificate comes back ("force": true), and pushes their waiting commands', async () => {
      const back = await system.apns.issuePushCertificate({ topic });
      const res = await system.api('PUT', '/v1/apns/certificate', { certificate: back.certPem, privateKey: back.keyPem, force: true });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ topic, action: 'replaced', previousTopic: newTopic });
      const replaced = await events('apns.certificate.replaced');
      expect(replaced[replaced.length - 1]!.data).toMatchObject({ topic, previousTopic: newTopic, strandedDevices: 0, restoredDevices: 3 });

      await eventually(() => expect(system.apns.pushes.some((p) => p.token === device.tokenHex && p.clientCertFingerprint === fingerprintOf(back.certPem))).toBe(true), {
        timeoutMs: 20000,
        message: 'the waiting command pushed with the restored certificate',
      });
      await eventually(async () => expect(await command(commandUuid)).toMatchObject({ status: 'SENT', statusReason: null }), { timeoutMs: 20000, intervalMs: 200 });
      expect((await system.api('GET', `/v1/devices/${device.udid}`)).json.push).toMatchObject({ pushable: true, statusReason: null });
      const certs = (await system.api('GET', '/v1/apns/certificate')).json;
      expect(certs.strandedDevices).toEqual([]);
      expect(strandedWarnings(certs.warnings)).toEqual([]);
    });
  });

  describe('several topics', () => {
    it('adds a topic with POST /v1/apns/certificates, refuses it twice, and refuses a PUT that matches no stored topic', async () => {
      const tenant = await system.apns.issuePushCertificate();
      const added = await system.api('POST', '/v1/apns/certificates', { certificate: tenant.certPem, privateKey: tenant.keyPem });
      expect(added.status).toBe(201);
      expect(added.json).toMatchObject({ topic: tenant.topic, action: 'uploaded' });
      const twice = await system.api('POST', '/v1/apns/certificates', { certificate: tenant.certPem, privateKey: tenant.keyPem });
      expect(twice.status).toBe(409);
      expect(twice.json.message).toMatch(/already stored.*PUT/);

      const stray = await system.apns.issuePushCertificate();
      const put = await system.api('PUT', '/v1/apns/certificate?force=true', { certificate: stray.certPem, privateKey: stray.keyPem });
      expect(put.status).toBe(409);
      expect(put.json.message).toMatch(/matches none of the 2 stored topics/);

      const renewTenant = await system.apns.issuePushCertificate({ topic: tenant.topic });
      const renewed = await system.api('PUT', '/v1/apns/certificate', { certificate: renewTenant.certPem, privateKey: renewTenant.keyPem });
      expect(renewed.json).toMatchObject({ topic: tenant.topic, action: 'renewed' });
    });
  });

  describe('CSR flow', () => {
    it('keeps the key on the server and pairs the signed certificate with it', async () => {
      const res = await system.api('POST', '/v1/apns/csr', { commonName: 'Example Corp MDM' });
      expect(res.status).toBe(201);
      expect(res.json.csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
      expect(JSON.stringify(res.json)).not.toMatch(/PRIVATE KEY/);
      const csr = parseCsr(Buffer.from(res.json.csr.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
      expect(csr.subject).toContain('CN=Example Corp MDM');

      // What Apple hands back after the vendor signing flow: a certificate for the CSR's key.
      const apple = await createCertificateAuthority({ commonName: 'Apple Application Integration 2 Certification Authority' });
      const csrTopic = `com.apple.mgmt.External.${crypto.randomUUID()}`;
      const { certPem } = await issueCertificate({
        issuer: apple,
        subject: `UID=${csrTopic}, CN=APSP:csr, C=US`,
        publicKeyPem: csr.publicKeyPem,
        extendedKeyUsage: ['clientAuth'],
      });
      const uploaded = await system.api('POST', '/v1/apns/certificates', { certificate: certPem });
      expect(uploaded.json).toMatchObject({ topic: csrTopic, action: 'uploaded' });
      expect(uploaded.status).toBe(201);

      // The pending key was used up: the same certificate without a key has nothing to pair with now.
      const again = await system.api('PUT', '/v1/apns/certificate', { certificate: certPem });
      expect(again.status).toBe(400);
      expect(again.json.message).toMatch(/privateKey is missing and no key made by POST \/v1\/apns\/csr matches/);
    });
  });

  describe('expiry', () => {
    it('warns once at the tightest threshold, and shows the certificate as expiring', async () => {
      const soon = await system.apns.issuePushCertificate({ notAfter: new Date(Date.now() + 5 * 86400_000) });
      expect((await system.api('POST', '/v1/apns/certificates', { certificate: soon.certPem, privateKey: soon.keyPem })).status).toBe(201);

      const warned = await eventually(
        async () => {
          const found = (await events('apns.certificate.expiring')).filter((e) => e.data['topic'] === soon.topic);
          expect(found.length).toBeGreaterThan(0);
          return found;
        },
        { timeoutMs: 15000, intervalMs: 200, message: 'expiring event' },
      );
      expect(warned.map((e) => e.data)).toEqual([expect.objectContaining({ topic: soon.topic, daysLeft: 5, threshold: 7 })]);

      const got = await system.api('GET', '/v1/apns/certificates');
      expect(got.json.status).toBe('expiring');
      const view = got.json.certificates.find((c: { topic: string }) => c.topic === soon.topic);
      expect(view).toMatchObject({ status: 'expiring', daysLeft: 5 });
      expect(view.warnings[0]).toMatch(/expires in 5 days/);
      expect(got.json.warnings).toEqual(expect.arrayContaining(view.warnings));

      // A later check pass (it warns about a second certificate) must not warn about the first again.
      const later = await system.apns.issuePushCertificate({ notAfter: new Date(Date.now() + 20 * 86400_000) });
      await system.api('POST', '/v1/apns/certificates', { certificate: later.certPem, privateKey: later.keyPem });
      await eventually(
        async () => expect((await events('apns.certificate.expiring')).some((e) => e.data['topic'] === later.topic && e.data['threshold'] === 30)).toBe(true),
        { timeoutMs: 15000, intervalMs: 200, message: 'second expiring event' },
      );
      expect((await events('apns.certificate.expiring')).filter((e) => e.data['topic'] === soon.topic)).toHaveLength(1);
    });

    it('reports an expired certificate, records apns.certificate.expired, and pushes under it stop with a clear reason', async () => {
      const brief = await system.apns.issuePushCertificate({ notAfter: new Date(Date.now() + 4000) });
      expect((await system.api('POST', '/v1/apns/certificates', { certificate: brief.certPem, privateKey: brief.keyPem })).status).toBe(201);
      const doomed = await system.enrolledDevice(brief.topic);

      await eventually(
        async () => expect((await events('apns.certificate.expired')).map((e) => e.data['topic'])).toContain(brief.topic),
        { timeoutMs: 20000, intervalMs: 250, message: 'expired event' },
      );
      const got = await system.api('GET', '/v1/apns/certificate');
      expect(got.json.status).toBe('expired');
      expect(got.json.certificates.find((c: { topic: string }) => c.topic === brief.topic)).toMatchObject({ status: 'expired', daysLeft: 0 });

      const res = await system.api('POST', '/v1/commands', { udids: [doomed.udid], command: { RequestType: 'DeviceInformation', Queries: ['OSVersion'] } });
      expect(res.status).toBeLessThan(300);
      await eventually(
        async () => {
          const failed = (await events('push.failed')).filter((e) => e.data['udid'] === doomed.udid);
          expect(failed.map((e) => e.data['reason'])).toContainEqual(expect.stringMatching(/push certificate .* expired/));
        },
        { timeoutMs: 20000, intervalMs: 250, message: 'push refused for the expired certificate' },
      );
      expect(system.apns.pushes.some((p) => p.token === doomed.tokenHex)).toBe(false);
    });
  });

  it('accepts a self-signed certificate with an Apple-looking UID but says APNs will refuse it', async () => {
    const uuid = randomUUID();
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '400', '-keyout', '-', '-subj', `/UID=com.apple.mgmt.External.${uuid}/CN=APSP:${uuid}`], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const res = await system.api('POST', '/v1/apns/certificates', { certificate: made.stdout, privateKey: made.stdout });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ topic: `com.apple.mgmt.External.${uuid}`, status: 'ok', issuedByApple: false });
    expect(res.json.warnings).toEqual([expect.stringMatching(/not issued by Apple's push CA .*: it is self-signed\. APNs will refuse it/)]);
    const listed = await system.api('GET', `/v1/apns/certificates?topic=com.apple.mgmt.External.${uuid}`);
    expect(listed.json.certificates).toEqual([expect.objectContaining({ issuedByApple: false, warnings: res.json.warnings })]);
  });
});
