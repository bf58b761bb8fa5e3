import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@mdm/messaging';
import { PersistenceModule } from '@mdm/persistence';
import { HealthModule } from '@mdm/service-kit';
import type { ProfileConfig } from './profile.config';

/**
 * Configuration profiles: catalog, build/sign, assignment, desired vs installed state. The
 * foundation only wires its storage, queues and health; the profile domain arrives with its issue.
 */
@Module({})
export class ProfileModule {
  static forRoot(config: ProfileConfig): DynamicModule {
    return {
      module: ProfileModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, migrate: config.DB_MIGRATE, poolSize: config.DB_POOL_SIZE }),
        MessagingModule.forRoot({ redisUrl: config.REDIS_URL, prefix: config.MDM_REDIS_PREFIX, consume: [] }),
        HealthModule.forRoot(config.REDIS_URL),
      ],
    };
  }
}
