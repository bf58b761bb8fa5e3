import { loadGatewayConfig } from './gateway.config';

describe('gateway configuration', () => {
  const base = { MDM_API_KEY: 'k'.repeat(20) };

  it('serves metrics on an internal port of their own, bound where HOST is unless METRICS_HOST says otherwise', () => {
    const config = loadGatewayConfig(base);
    expect([config.PORT, config.METRICS_PORT, config.METRICS_HOST]).toEqual([8080, 9464, '0.0.0.0']);
    expect(loadGatewayConfig({ ...base, HOST: '10.0.0.5', METRICS_PORT: '9100' })).toMatchObject({ METRICS_PORT: 9100, METRICS_HOST: '10.0.0.5' });
    expect(loadGatewayConfig({ ...base, METRICS_HOST: '127.0.0.1' }).METRICS_HOST).toBe('127.0.0.1');
  });

  it('refuses the public port for metrics, and a port that is not one', () => {
    expect(() => loadGatewayConfig({ ...base, PORT: '8443', METRICS_PORT: '8443' })).toThrow(/METRICS_PORT: must differ from PORT \(8443\)/);
    expect(() => loadGatewayConfig({ ...base, METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT:/);
  });
});
