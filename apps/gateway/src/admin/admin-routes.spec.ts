import { API_KEY_SCOPES } from '@mdm/contracts';
import { matchAdminRoute } from './admin-route-match';
import { ADMIN_ROUTES } from './admin-routes';
import { buildOpenApi } from './openapi';
import { scopeAllows } from './scopes';

describe('admin route scopes', () => {
  it('gives every route a scope of the vocabulary', () => {
    for (const r of ADMIN_ROUTES) expect(API_KEY_SCOPES).toContain(r.scope);
  });

  it('lets `read` reach every GET but the API keys, and nothing else', () => {
    for (const r of ADMIN_ROUTES) {
      const readable = r.method === 'GET' && !r.path.startsWith('/v1/api-keys');
      expect(`${r.method} ${r.path}: ${r.scope === 'read'}`).toBe(`${r.method} ${r.path}: ${readable}`);
    }
  });

  it('keeps the server configuration and credentials for `admin`', () => {
    const admin = ADMIN_ROUTES.filter((r) => r.method !== 'GET' && /^\/v1\/(apns|enrollment-configurations|api-keys)/.test(r.path));
    expect(admin.length).toBeGreaterThanOrEqual(6);
    for (const r of admin) expect(`${r.method} ${r.path} ${r.scope}`).toBe(`${r.method} ${r.path} admin`);
    for (const r of ADMIN_ROUTES.filter((x) => x.path.startsWith('/v1/api-keys'))) expect(r.scope).toBe('admin');
  });

  it('puts queueing, cancelling and pushing under `commands`, profile changes under `profiles`', () => {
    const scopeOf = (method: string, path: string): string | undefined => ADMIN_ROUTES.find((r) => r.method === method && r.path === path)?.scope;
    expect(scopeOf('POST', '/v1/commands')).toBe('commands');
    expect(scopeOf('POST', '/v1/commands/{commandUuid}/cancel')).toBe('commands');
    expect(scopeOf('POST', '/v1/push')).toBe('commands');
    expect(scopeOf('DELETE', '/v1/devices/{udid}/queue')).toBe('commands');
    expect(scopeOf('POST', '/v1/devices/{udid}/inventory/refresh')).toBe('commands');
    expect(scopeOf('POST', '/v1/inventory/refresh')).toBe('commands');
    expect(scopeOf('POST', '/v1/profiles')).toBe('profiles');
    expect(scopeOf('PUT', '/v1/profiles/{id}')).toBe('profiles');
    expect(scopeOf('DELETE', '/v1/profiles/{id}')).toBe('profiles');
  });

  it('shows each operation scope in the OpenAPI document', () => {
    const doc = buildOpenApi(ADMIN_ROUTES, '1') as { paths: Record<string, Record<string, { 'x-scope': string; description: string; responses: Record<string, unknown> }>> };
    for (const r of ADMIN_ROUTES) {
      const op = doc.paths[r.path]![r.method.toLowerCase()]!;
      expect(op['x-scope']).toBe(r.scope);
      expect(op.description).toContain(`\`${r.scope}\``);
      expect(op.responses).toHaveProperty('403');
    }
  });
});

describe('scopeAllows', () => {
  it('grants a scope to keys holding it or admin, and to no one else', () => {
    expect(scopeAllows(['read'], 'read')).toBe(true);
    expect(scopeAllows(['read'], 'commands')).toBe(false);
    expect(scopeAllows(['commands', 'profiles'], 'profiles')).toBe(true);
    expect(scopeAllows(['commands', 'profiles'], 'read')).toBe(false);
    expect(scopeAllows(['commands', 'profiles'], 'admin')).toBe(false);
    for (const s of API_KEY_SCOPES) expect(scopeAllows(['admin'], s)).toBe(true);
    expect(scopeAllows([], 'read')).toBe(false);
  });
});

describe('matchAdminRoute', () => {
  it('finds the route, a path with other methods, or nothing', () => {
    const hit = matchAdminRoute(ADMIN_ROUTES, 'DELETE', '/v1/api-keys/0b7c2b47-36c1-4a7e-9d7e-2f1d8c6a9e10');
    expect(hit.kind === 'route' && hit.route.scope).toBe('admin');
    expect(matchAdminRoute(ADMIN_ROUTES, 'PATCH', '/v1/api-keys')).toEqual({ kind: 'method', allow: ['POST', 'GET'] });
    expect(matchAdminRoute(ADMIN_ROUTES, 'GET', '/v1/api-keys/x/y')).toEqual({ kind: 'none' });
  });
});
