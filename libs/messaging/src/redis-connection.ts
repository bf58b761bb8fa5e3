import IORedis, { type RedisOptions } from 'ioredis';

/**
 * BullMQ workers block on their connection and must never give up on a command
 * (`maxRetriesPerRequest: null`); every queue and worker gets its own connection so a slow
 * consumer can't stall a producer.
 */
export function createRedis(url: string, extra: RedisOptions = {}): IORedis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra });
}
