import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type DeviceSimulator, eventually } from '@mdm/testing';
import { TestSystem } from './system';

jest.setTimeout(120_000);

interface CreatedKey {
  id: string;
  name: string;
  scopes: string[];
  secret: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * API keys made through the API: the secret shown once and stored hashed, scopes enforced per route at
 * the gateway, revocation and expiry, and MDM_API_KEY still working as the bootstrap admin key.
 */
describe('API keys', () => {
  let system: TestSystem;
  let device: DeviceSimulator;
  let db: Client;

  beforeAll(async () => {
    system = await TestSystem.start();
    db = new Client({ connectionString: system.env['DATABASE_URL'] });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close('e2e-api-keys-services.log');
  });

  /** The admin API called with `key` instead of the bootstrap key. */
  const as = (key: string, method: string, path: string, body?: unknown, baseUrl?: string) =>
    baseUrl
      ? fetch(baseUrl + path, { method, headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({ status: r.status, json: (await r.json()) as { message?: string } }))
      : system.api(method, path, body, { authorization: `Bearer ${key}` });

  const create = async (name: string, scopes: string[], expiresAt?: string): Promise<CreatedKey> => {
    const res = await system.api('POST', '/v1/api-keys', { name, scopes, ...(expiresAt ? { expiresAt } : {}) });
    expect(res.status).toBe(201);
    return res.json as CreatedKey;
  };

  const command = { RequestType: 'DeviceInformation', Queries: ['OSVersion'] };

  it('takes the bootstrap key (MDM_API_KEY) for everything, including making the first keys', async () => {
    const topic = await system.uploadPushCertificate();
    device = await system.enrolledDevice(topic);
    expect((await system.api('GET', '/v1/devices')).status).toBe(200);
    expect((await system.api('GET', '/v1/api-keys')).json).toEqual({ keys: [], total: 0, limit: 100, offset: 0 });
  });

  it('refuses a bad key request naming the field', async () => {
    const bogus = await system.api('POST', '/v1/api-keys', { name: 'x', scopes: ['read', 'everything'] });
    expect(bogus.status).toBe(400);
    expect(bogus.json.message).toMatch(/scopes\.1/);
    const none = await system.api('POST', '/v1/api-keys', { name: 'x', scopes: [] });
    expect(none.status).toBe(400);
    expect(none.json.message).toMatch(/scopes/);
    const past = await system.api('POST', '/v1/api-keys', { name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.json.message).toMatch(/expiresAt: must be in the future/);
  });

  it('shows the secret once, and stores only its SHA-256', async () => {
    const key = await create('dashboard', ['read']);
    expect(key.secret).toMatch(new RegExp(`^mdm_${key.id}_[A-Za-z0-9_-]{43}$`));
    expect(key).toMatchObject({ name: 'dashboard', scopes: ['read'], lastUsedAt: null, expiresAt: null, revokedAt: null });

    const list = await system.api('GET', '/v1/api-keys');
    expect(list.status).toBe(200);
    expect(list.json.keys).toEqual([{ id: key.id, name: 'dashboard', scopes: ['read'], createdAt: key.createdAt, lastUsedAt: null, expiresAt: null, revokedAt: null }]);
    const one = await system.api('GET', `/v1/api-keys/${key.id}`);
    expect(one.json).toEqual(list.json.keys[0]);
    for (const body of [list.json, one.json]) {
      expect(JSON.stringify(body)).not.toContain(key.secret.slice(-43));
      expect(JSON.stringify(body)).not.toMatch(/secret/i);
    }

    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [key.id]);
    expect(rows[0]!['secret_hash']).toEqual(createHash('sha256').update(key.secret).digest());
    expect(JSON.stringify(rows[0])).not.toContain(key.secret.slice(-43));
    expect((await system.api('GET', `/v1/api-keys/${randomUUID()}`)).status).toBe(404);
  });

  it('lets a read key GET but not change anything, naming the scope it lacks', async () => {
    const key = await create('reader', ['read']);
    expect((await as(key.secret, 'GET', '/v1/devices')).status).toBe(200);
    expect((await as(key.secret, 'GET', `/v1/devices/${device.udid}`)).status).toBe(200);
    const post = await as(key.secret, 'POST', '/v1/commands', { udids: [device.udid], command });
    expect(post.status).toBe(403);
    expect(post.json.message).toBe("this key lacks the 'commands' scope");
    const profile = await as(key.secret, 'DELETE', `/v1/profiles/${randomUUID()}`);
    expect(profile.status).toBe(403);
    expect(profile.json.message).toBe("this key lacks the 'profiles' scope");
    // The credentials themselves are admin business, GETs included.
    const keys = await as(key.secret, 'GET', '/v1/api-keys');
    expect(keys.status).toBe(403);
    expect(keys.json.message).toBe("this key lacks the 'admin' scope");
  });

  it('lets a commands key queue commands and push, but not read or touch the configuration', async () => {
    const key = await create('automation', ['commands']);
    const queued = await as(key.secret, 'POST', '/v1/commands', { udids: [device.udid], command });
    expect(queued.status).toBe(201);
    expect((await as(key.secret, 'POST', '/v1/push', { udids: [device.udid] })).status).toBe(202);
    expect((await as(key.secret, 'DELETE', `/v1/devices/${device.udid}/queue`)).status).toBe(200);
    expect((await as(key.secret, 'GET', '/v1/devices')).json.message).toBe("this key lacks the 'read' scope");
    const cert = await as(key.secret, 'POST', '/v1/apns/csr', {});
    expect(cert.status).toBe(403);
    expect(cert.json.message).toBe("this key lacks the 'admin' scope");
  });

  it('lets an admin key do everything, including making and revoking keys', async () => {
    const admin = await create('ops', ['admin']);
    expect((await as(admin.secret, 'GET', '/v1/devices')).status).toBe(200);
    expect((await as(admin.secret, 'POST', '/v1/commands', { udids: [device.udid], command })).status).toBe(201);
    const made = await as(admin.secret, 'POST', '/v1/api-keys', { name: 'made-by-ops', scopes: ['profiles', 'read', 'profiles'] });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ name: 'made-by-ops', scopes: ['read', 'profiles'] });
    expect((await as(made.json.secret as string, 'GET', '/v1/profiles')).status).toBe(200);
    expect((await as(admin.secret, 'DELETE', `/v1/api-keys/${made.json.id as string}`)).status).toBe(200);
    expect((await as(made.json.secret as string, 'GET', '/v1/profiles')).json.message).toBe('API key revoked');
  });

  it('answers 401 saying whether the key is missing or unknown', async () => {
    const missing = await fetch(`${system.baseUrl}/v1/devices`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toMatch(/missing Authorization/);
    const forged = await as(`mdm_${randomUUID()}_${randomBytes(32).toString('base64url')}`, 'GET', '/v1/devices');
    expect(forged).toEqual({ status: 401, json: expect.objectContaining({ message: 'unknown API key' }) });
    // A real id with a made-up secret is no better.
    const real = await create('target', ['admin']);
    const guessed = await as(`mdm_${real.id}_${randomBytes(32).toString('base64url')}`, 'GET', '/v1/devices');
    expect(guessed).toEqual({ status: 401, json: expect.objectContaining({ message: 'unknown API key' }) });
    expect((await as('not-a-key-of-ours', 'GET', '/v1/devices')).json.message).toBe('unknown API key');
  });

  it('writes no secret to any service log', async () => {
    const key = await create('quiet', ['read']);
    expect((await as(key.secret, 'GET', '/v1/devices')).status).toBe(200);
    expect(system.logs.join('\n')).not.toContain(key.secret.slice(-43));
  });

  it('stops taking a revoked key at once, and keeps it listed with revokedAt', async () => {
    const key = await create('leaked', ['read']);
    // Used once, so the gateway remembers the key as valid.
    expect((await as(key.secret, 'GET', '/v1/devices')).status).toBe(200);
    const revoked = await system.api('DELETE', `/v1/api-keys/${key.id}`);
    expect(revoked.status).toBe(200);
    expect(Date.parse(revoked.json.revokedAt)).toBeLessThanOrEqual(Date.now());
    const refused = await as(key.secret, 'GET', '/v1/devices');
    expect(refused).toEqual({ status: 401, json: expect.objectContaining({ message: 'API key revoked' }) });
    const again = await system.api('DELETE', `/v1/api-keys/${key.id}`);
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt);
    const listed = (await system.api('GET', '/v1/api-keys')).json.keys as CreatedKey[];
    expect(listed.find((k) => k.id === key.id)?.revokedAt).toBe(revoked.json.revokedAt);
  });

  it('stops taking a revoked key on another gateway within a few seconds', async () => {
    const other = await system.startReplica('gateway');
    const otherUrl = `http://127.0.0.1:${other.port}`;
    try {
      const key = await create('elsewhere', ['read']);
      expect((await as(key.secret, 'GET', '/v1/devices', undefined, otherUrl)).status).toBe(200);
      expect((await system.api('DELETE', `/v1/api-keys/${key.id}`)).status).toBe(200);
      const started = Date.now();
      await eventually(async () => expect((await as(key.secret, 'GET', '/v1/devices', undefined, otherUrl)).json.message).toBe('API key revoked'), {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      await system.stopReplica(other);
    }
  });

  it('stops taking a key when it expires', async () => {
    const key = await create('temporary', ['read'], new Date(Date.now() + 2_000).toISOString());
    expect((await as(key.secret, 'GET', '/v1/devices')).status).toBe(200);
    await eventually(async () => expect(await as(key.secret, 'GET', '/v1/devices')).toEqual({ status: 401, json: expect.objectContaining({ message: 'API key expired' }) }), {
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    const listed = await system.api('GET', `/v1/api-keys/${key.id}`);
    expect(listed.json).toMatchObject({ expiresAt: key.expiresAt, revokedAt: null });
  });

  it('records when a key was last used', async () => {
    const key = await create('tracked', ['read']);
    const before = Date.now();
    expect((await as(key.secret, 'GET', '/v1/devices')).status).toBe(200);
    const seen = (await system.api('GET', `/v1/api-keys/${key.id}`)).json as CreatedKey;
    expect(seen.lastUsedAt).not.toBeNull();
    expect(Date.parse(seen.lastUsedAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('shows the scope of each operation in the OpenAPI document, to a key with `read`', async () => {
    const anonymous = await fetch(`${system.baseUrl}/openapi.json`);
    expect({ status: anonymous.status, json: await anonymous.json() }).toEqual({ status: 401, json: expect.objectContaining({ message: 'missing Authorization: Bearer <API key>' }) });
    const commandsOnly = await create('no-read', ['commands']);
    expect(await as(commandsOnly.secret, 'GET', '/openapi.json')).toEqual({ status: 403, json: expect.objectContaining({ message: "this key lacks the 'read' scope" }) });
    const reader = await create('reader', ['read']);
    const res = await as(reader.secret, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json as {
      paths: Record<string, Record<string, { 'x-scope': string; description: string; responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/v1/commands']!['post']!['x-scope']).toBe('commands');
    expect(doc.paths['/v1/devices']!['get']!['x-scope']).toBe('read');
    expect(doc.paths['/v1/profiles/{id}']!['put']!['x-scope']).toBe('profiles');
    expect(doc.paths['/v1/api-keys']!['post']!['x-scope']).toBe('admin');
    expect(doc.paths['/v1/commands']!['post']!.description).toMatch(/`commands` scope/);
    expect(doc.paths['/v1/commands']!['post']!.responses).toHaveProperty('403');
  });
});
