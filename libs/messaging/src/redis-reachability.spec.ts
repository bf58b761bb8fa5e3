import { isRedisConnectionError, REDIS_RETRY_MAX_MS, redisEndpoint, redisRetryDelayMs } from './redis-reachability';

describe('Redis reachability', () => {
  it('backs off by doubling up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(redisRetryDelayMs)).toEqual([100, 200, 400, 800, 1600, REDIS_RETRY_MAX_MS, REDIS_RETRY_MAX_MS]);
  });

  it('names the endpoint without credentials', () => {
    expect(redisEndpoint('redis://:secret@cache.internal:6380/2')).toBe('cache.internal:6380');
    expect(redisEndpoint('redis-cluster://u:p%40ss@10.0.0.1:7000,10.0.0.2:7001/')).toBe('10.0.0.1:7000,10.0.0.2:7001');
  });

  it('tells connection failures from errors of the work itself', () => {
    expect(isRedisConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error('Missing lock for job 7. moveToFinished'))).toBe(false);
  });
});
