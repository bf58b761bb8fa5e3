import { type DynamicModule, Module } from '@nestjs/common';
import type { z } from 'zod';
import type { QueueName } from '@mdm/contracts';
import { MessagingModule } from '@mdm/messaging';
import { type EventFeedOptions, EventFeedModule, PersistenceModule } from '@mdm/persistence';
import type { BaseEnv } from './config';
import { HealthModule } from './health';

export interface InfrastructureOptions {
  /** Queues this service consumes (its @OnJob handlers). */
  consume?: readonly QueueName[];
  /** Queues this service only puts jobs on: their depth is reported on /metrics with the consumed ones. */
  produce?: readonly QueueName[];
  concurrency?: Partial<Record<QueueName, number>>;
  /** How this service follows the event feed (its @FollowFeed handlers); left out when it follows none. */
  feed?: EventFeedOptions;
  /** HTTP services answer /health and /ready through Nest; workers serve them with serveHealth. */
  httpHealth?: boolean;
}

/** Postgres, Redis queues, the event feed's followers and health, wired the same way in every service from its parsed config. */
@Module({})
export class InfrastructureModule {
  static forRoot(config: z.infer<typeof BaseEnv>, opts: InfrastructureOptions = {}): DynamicModule {
    return {
      module: InfrastructureModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, migrate: config.DB_MIGRATE, poolSize: config.DB_POOL_SIZE }),
        MessagingModule.forRoot({ redisUrl: config.REDIS_URL, prefix: config.MDM_REDIS_PREFIX, consume: opts.consume ?? [], produce: opts.produce ?? [], concurrency: opts.concurrency }),
        ...(opts.feed ? [EventFeedModule.forRoot(opts.feed)] : []),
        ...(opts.httpHealth === false ? [] : [HealthModule.forRoot(config.REDIS_URL)]),
      ],
    };
  }
}
