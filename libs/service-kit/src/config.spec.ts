import { BaseEnv, ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('names the variable and what it expects', () => {
    expect(() => loadConfig(BaseEnv, { DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });

  it('accepts a Redis Cluster only with a hash-tagged key prefix', () => {
    const cluster = { REDIS_URL: 'redis-cluster://127.0.0.1:7000,127.0.0.1:7001' };
    expect(() => loadConfig(BaseEnv, { ...cluster, MDM_REDIS_PREFIX: 'mdm' })).toThrow(ConfigError);
    expect(() => loadConfig(BaseEnv, { ...cluster, MDM_REDIS_PREFIX: 'mdm' })).toThrow(/MDM_REDIS_PREFIX: .*hash tag/);
    expect(loadConfig(BaseEnv, { ...cluster, MDM_REDIS_PREFIX: '{mdm}' }).REDIS_URL).toBe(cluster.REDIS_URL);
    expect(loadConfig(BaseEnv, { MDM_REDIS_PREFIX: 'mdm' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });
});
