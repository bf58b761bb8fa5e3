import IORedis, { Cluster } from 'ioredis';
import { createRedis, isClusterUrl } from './redis-connection';

describe('createRedis', () => {
  it('connects to one server for redis:// and to a cluster for redis-cluster://', () => {
    const single = createRedis('redis://127.0.0.1:6399', { lazyConnect: true });
    const cluster = createRedis('redis-cluster://user:p%40ss@10.0.0.1:7000,10.0.0.2:7001/', { lazyConnect: true });
    try {
      expect(single).toBeInstanceOf(IORedis);
      expect(cluster).toBeInstanceOf(Cluster);
      const c = cluster as unknown as { startupNodes: Array<{ host: string; port: number }>; options: Cluster['options'] };
      expect(c.startupNodes).toEqual([
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ]);
      expect(c.options.redisOptions).toMatchObject({ username: 'user', password: 'p@ss', maxRetriesPerRequest: null });
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });

  it('tells cluster URLs apart', () => {
    expect(isClusterUrl('redis-cluster://a:1')).toBe(true);
    expect(isClusterUrl('rediss-cluster://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1')).toBe(false);
  });
});
