import { loadIntegrationsConfig, parseDurationMs } from './integrations.config';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('integrations configuration', () => {
  it('reads durations with units, bare numbers as seconds', () => {
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('90m')).toBe(5_400_000);
    expect(parseDurationMs('1500ms')).toBe(1500);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('30')).toBe(30_000);
    expect(parseDurationMs('soon')).toBeUndefined();
  });

  it('defaults to a 24 h retry window and a 10 s timeout', () => {
    const c = loadIntegrationsConfig({ MDM_SECRET_KEY: KEY });
    expect(c.WEBHOOK_RETRY_WINDOW).toBe(86_400_000);
    expect(c.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(c.PORT).toBe(8085);
  });

  it('refuses a bad window and a lease shorter than a request, naming the variable', () => {
    expect(() => loadIntegrationsConfig({ MDM_SECRET_KEY: KEY, WEBHOOK_RETRY_WINDOW: 'later' })).toThrow(/WEBHOOK_RETRY_WINDOW/);
    expect(() => loadIntegrationsConfig({ MDM_SECRET_KEY: KEY, WEBHOOK_TIMEOUT_MS: '30000', WEBHOOK_LEASE_MS: '20000' })).toThrow(/WEBHOOK_LEASE_MS/);
    expect(() => loadIntegrationsConfig({})).toThrow(/MDM_SECRET_KEY/);
  });
});
