import { type DynamicModule, Module } from '@nestjs/common';
import { Queue } from '@mdm/contracts';
import { MessagingModule } from '@mdm/messaging';
import { PersistenceModule } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { ApnsClientsService } from './apns/apns-clients.service';
import { PushMetrics } from './metrics/push-metrics.service';
import { PUSH_CONFIG, type PushConfig } from './push.config';
import { PushJobsProcessor } from './push/push-jobs.processor';
import { PushRecorder } from './push/push-recorder.service';
import { PushSender } from './push/push-sender.service';

/** The APNs push worker: claims push requests from Postgres as BullMQ hands out batches; scaled horizontally. */
@Module({})
export class PushModule {
  static forRoot(config: PushConfig): DynamicModule {
    return {
      module: PushModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, migrate: config.DB_MIGRATE, poolSize: config.DB_POOL_SIZE }),
        MessagingModule.forRoot({
          redisUrl: config.REDIS_URL,
          prefix: config.MDM_REDIS_PREFIX,
          consume: [Queue.Push],
          concurrency: { [Queue.Push]: config.PUSH_CONCURRENCY },
        }),
      ],
      providers: [
        { provide: PUSH_CONFIG, useValue: config },
        { provide: SecretBox, useValue: SecretBox.fromKey(config.MDM_SECRET_KEY) },
        ApnsClientsService,
        PushMetrics,
        PushRecorder,
        PushSender,
        PushJobsProcessor,
      ],
    };
  }
}
