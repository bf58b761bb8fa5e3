import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { Client } from 'pg';
import { DeviceSimulator, readEnrollmentProfile } from '@mdm/testing';
import { TestSystem } from './system';

/**
 * A full flow that hands the server every kind of secret (push key as PEM and inside a PKCS#12 with
 * its password, an API key, a webhook secret, the SCEP challenges, a device's bootstrap and unlock
 * tokens, the bootstrap API key and the sealing key), then looks for each of them in every log line of
 * every service (at debug level), in every answer, and in every row of the database. The enrollment
 * profile is the one answer that must carry a challenge (it is how a device gets it), and
 * GetBootstrapToken the one that carries the bootstrap token, to its own device.
 */
jest.setTimeout(180_000);

const STATIC_CHALLENGE = `static-${randomBytes(12).toString('hex')}`;

/** A .p12 as Keychain Access exports one: 3DES-shrouded key, the certificate, a MAC. */
function p12(certPem: string, keyPem: string, password: string): string {
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(keyPem), [forge.pki.certificateFromPem(certPem)], password, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
}

/** A distinctive stretch of a PEM private key's DER, hex-encoded as Postgres shows a bytea. */
function derHex(pem: string): string {
  const der = Buffer.from(pem.split('\n').filter((line) => !line.startsWith('-----')).join(''), 'base64');
  return der.subarray(40, 88).toString('hex');
}

/** Distinctive pieces of a PEM private key's body: any one of them in a log is a leak. */
function pemBodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .filter((line) => line.length >= 60 && !line.startsWith('-----'))
    .slice(1, 4);
}

describe('secrets never reach logs, answers or the database in the clear', () => {
  let system: TestSystem;
  const answers: Array<{ what: string; text: string }> = [];
  const secrets: Array<{ name: string; value: string }> = [];
  /** Private keys handed to the server: looked for in the database as PEM and as DER. */
  const privateKeys: string[] = [];
  /** A private key given to the server: pieces of its PEM body are secrets everywhere, its DER in the database. */
  const addPrivateKey = (name: string, pem: string): void => {
    privateKeys.push(pem);
    secrets.push(...pemBodyLines(pem).map((value) => ({ name, value })));
  };

  /** The admin API, keeping every answer for the final check. */
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await system.api(method, path, body, headers);
    answers.push({ what: `${method} ${path} → ${res.status}`, text: typeof res.json === 'string' ? res.json : JSON.stringify(res.json) });
    return res;
  };

  beforeAll(async () => {
    system = await TestSystem.start({ LOG_LEVEL: 'debug', MDM_SCEP_STATIC_CHALLENGE: STATIC_CHALLENGE });
    secrets.push(
      { name: 'MDM_API_KEY', value: system.apiKey },
      { name: 'MDM_SECRET_KEY', value: system.env['MDM_SECRET_KEY']! },
      { name: 'MDM_SCEP_STATIC_CHALLENGE', value: STATIC_CHALLENGE },
    );
  });

  afterAll(async () => {
    await system?.close('e2e-secrets-in-logs.log');
  });

  it('runs the flow', async () => {
    // Push certificate as a PEM pair, and one for another topic as PKCS#12 with a password.
    const pem = await system.apns.issuePushCertificate();
    addPrivateKey('push private key (PEM)', pem.keyPem);
    const put = await api('PUT', '/v1/apns/certificate', { certificate: pem.certPem, privateKey: pem.keyPem });
    expect(put.status).toBe(200);
    // A refused upload must not echo the key it was given either.
    const mismatched = await system.apns.issuePushCertificate();
    addPrivateKey('refused private key (PEM)', mismatched.keyPem);
    expect((await api('PUT', '/v1/apns/certificate', { certificate: pem.certPem, privateKey: mismatched.keyPem })).status).toBe(400);

    const second = await system.apns.issuePushCertificate();
    addPrivateKey('PKCS#12 private key', second.keyPem);
    const password = `p12-${randomBytes(12).toString('hex')}`;
    secrets.push({ name: 'PKCS#12 password', value: password });
    const bundle = p12(second.certPem, second.keyPem, password);
    expect((await api('POST', '/v1/apns/certificates', { pkcs12: bundle, password: `${password}-wrong` })).status).toBe(400);
    secrets.push({ name: 'wrong PKCS#12 password', value: `${password}-wrong` });
    const added = await api('POST', '/v1/apns/certificates', { pkcs12: bundle, password });
    expect(added.status).toBeLessThan(300);

    // Over-the-air enrollment: the profile carries a one-time SCEP challenge.
    const download = await fetch(`${system.baseUrl}/mdm/enroll`);
    expect(download.status).toBe(200);
    const profile = Buffer.from(await download.arrayBuffer());
    const challenge = (await readEnrollmentProfile(profile)).scep.challenge!;
    secrets.push({ name: 'SCEP challenge', value: challenge });
    const device = await DeviceSimulator.enroll({ baseUrl: system.baseUrl, profile });
    expect((await device.idle()).status).toBe(200);
    await api('GET', `/v1/devices/${device.udid}`);
    await api('GET', `/v1/events?udid=${device.udid}&limit=1000`);
    await api('GET', '/v1/enrollment/profile');
    answers.pop(); // that answer is a profile, which carries a challenge by design
    await api('GET', '/v1/apns/certificate');
    await api('GET', '/v1/apns/certificates');

    // An API key: shown once in its creation answer, nowhere else.
    const created = await system.api('POST', '/v1/api-keys', { name: 'integration', scopes: ['read'] });
    expect(created.status).toBe(201);
    const apiKeySecret: string = created.json.secret;
    secrets.push({ name: 'API key secret', value: apiKeySecret.slice(-43) });
    expect((await api('GET', '/v1/devices', undefined, { authorization: `Bearer ${apiKeySecret}` })).status).toBe(200);
    await api('GET', '/v1/api-keys');
    // A wrong secret for a real key id is refused without repeating it.
    const forged = `${apiKeySecret.slice(0, -43)}${randomBytes(32).toString('base64url')}`;
    secrets.push({ name: 'forged API key secret', value: forged.slice(-43) });
    expect((await api('GET', '/v1/devices', undefined, { authorization: `Bearer ${forged}` })).status).toBe(401);

    // A webhook with a secret, then a rotated one.
    const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
    const hook = await api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', secret: webhookSecret, events: ['device.*'] });
    expect(hook.status).toBe(201);
    secrets.push({ name: 'webhook secret', value: webhookSecret });
    await api('GET', '/v1/webhooks');
    await api('GET', `/v1/webhooks/${hook.json.id}`);
    await api('PATCH', `/v1/webhooks/${hook.json.id}`, { secret: `${webhookSecret}-rotated` });
    secrets.push({ name: 'rotated webhook secret', value: `${webhookSecret}-rotated` });

    // The device's escrowed tokens: a bootstrap token (handed back to the device alone) and an unlock token.
    const bootstrapToken = randomBytes(48);
    expect((await device.checkin({ MessageType: 'SetBootstrapToken', BootstrapToken: bootstrapToken })).status).toBe(200);
    const got = await device.checkin({ MessageType: 'GetBootstrapToken' });
    expect(got.status).toBe(200);
    expect(got.text).toContain(bootstrapToken.toString('base64'));
    const unlockToken = randomBytes(48);
    expect((await device.tokenUpdate({ UnlockToken: unlockToken })).status).toBe(200);
    for (const [name, bytes] of [['bootstrap token', bootstrapToken], ['unlock token', unlockToken]] as const) {
      secrets.push({ name: `${name} (base64)`, value: bytes.toString('base64') }, { name: `${name} (hex)`, value: bytes.toString('hex') });
    }
    await api('GET', `/v1/devices/${device.udid}`);
    await api('GET', `/v1/events?udid=${device.udid}&limit=1000`);

    expect(secrets.length).toBeGreaterThanOrEqual(16);
  });

  it('finds none of them in any service log line', () => {
    expect(system.logs.length).toBeGreaterThan(50);
    const leaks = secrets.flatMap(({ name, value }) =>
      system.logs.filter((line) => line.includes(value)).map((line) => `${name}: ${line.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('finds none of them in any answer', () => {
    expect(answers.length).toBeGreaterThan(10);
    const leaks = secrets.flatMap(({ name, value }) => answers.filter((a) => a.text.includes(value)).map((a) => `${name} in ${a.what}`));
    expect(leaks).toEqual([]);
  });

  /**
   * Secrets at rest: every row of every table as Postgres prints it (bytea as hex), searched for each
   * secret, for any PEM private key (the push keys, the device CA's and the profile signer's are sealed),
   * and for the DER of the push keys.
   */
  it('keeps none of them in the database in the clear', async () => {
    const db = new Client({ connectionString: system.env['DATABASE_URL'] });
    await db.connect();
    try {
      const { rows: tables } = await db.query<{ name: string }>(
        `SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
      );
      const dumped: Array<{ table: string; text: string }> = [];
      for (const { name } of tables) {
        const { rows } = await db.query<{ text: string | null }>(`SELECT string_agg(t::text, E'\n') AS text FROM ${name} t`);
        dumped.push({ table: name, text: rows[0]?.text ?? '' });
      }
      expect(dumped.map((d) => d.table)).toEqual(expect.arrayContaining(['devices', 'apns_certificates', 'certificate_authorities', 'webhooks']));
      const wanted = [
        ...secrets,
        { name: 'a PEM private key', value: 'PRIVATE KEY' },
        ...privateKeys.map((pem, i) => ({ name: `private key ${i + 1} (DER)`, value: derHex(pem) })),
      ];
      const found = wanted.flatMap(({ name, value }) => dumped.filter((d) => d.text.includes(value)).map((d) => `${name} in ${d.table}`));
      expect(found).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
