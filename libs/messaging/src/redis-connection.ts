import IORedis, { Cluster, type RedisOptions } from 'ioredis';
import { redisEndpoint, redisRetryDelayMs, reportReachability } from './redis-reachability';

/** A Redis connection: one server, or a Redis Cluster (`redis-cluster://host:port,host:port,...`). */
export type RedisClient = IORedis | Cluster;

const CLUSTER_SCHEME = /^rediss?-cluster:\/\//;

/** Whether the URL names a Redis Cluster rather than one server. */
export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(url);
}

/**
 * BullMQ workers block on their connection and must never give up on a command
 * (`maxRetriesPerRequest: null`); every queue and worker gets its own connection so a slow
 * consumer can't stall a producer. A `redis-cluster://` URL lists seed nodes (any subset of the
 * cluster; the client discovers the rest); `rediss-cluster://` uses TLS, and a user and password in
 * the URL apply to every node. BullMQ needs every key of a queue in one slot, so with a cluster the
 * key prefix must carry a hash tag (`MDM_REDIS_PREFIX={mdm}`), which the configuration checks.
 * While Redis is down the client reconnects with backoff, and the process says so once.
 */
export function createRedis(url: string, extra: RedisOptions = {}): RedisClient {
  const client = connect(url, { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: redisRetryDelayMs, ...extra });
  reportReachability(client, redisEndpoint(url));
  return client;
}

function connect(url: string, options: RedisOptions): RedisClient {
  if (!isClusterUrl(url)) return new IORedis(url, options);
  const rest = url.replace(CLUSTER_SCHEME, '');
  const at = rest.indexOf('@');
  const [user, password] = at < 0 ? [] : rest.slice(0, at).split(':');
  const nodes = (at < 0 ? rest : rest.slice(at + 1))
    .split('/')[0]!
    .split(',')
    .map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });
  return new Cluster(nodes, {
    clusterRetryStrategy: options.retryStrategy ?? undefined,
    enableReadyCheck: options.enableReadyCheck,
    lazyConnect: options.lazyConnect,
    redisOptions: {
      ...options,
      username: user ? decodeURIComponent(user) : undefined,
      password: password ? decodeURIComponent(password) : undefined,
      tls: url.startsWith('rediss-') ? {} : undefined,
    },
  });
}
