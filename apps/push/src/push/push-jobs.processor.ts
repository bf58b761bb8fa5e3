import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobData } from '@mdm/contracts';
import { JobProducer, OnJob } from '@mdm/messaging';
import { insertPushRequests } from '@mdm/persistence';
import { PUSH_CONFIG, type PushConfig } from '../push.config';
import { PushSender } from './push-sender.service';

/** The push queue's jobs: batches of request ids, the periodic sweep, and the pre-batch job shape. */
@Injectable()
export class PushJobsProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(PushJobsProcessor.name);

  constructor(
    private readonly sender: PushSender,
    private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Every replica upserts the same scheduler; BullMQ keeps one, and each tick goes to one replica.
    await this.producer.schedule('push-sweep', this.config.PUSH_SWEEP_INTERVAL_MS, { name: 'push.sweep', data: {} });
  }

  @OnJob('push.batch')
  handleBatch(data: JobData<'push.batch'>): Promise<void> {
    return this.sender.sendBatch(data.requestIds);
  }

  @OnJob('push.sweep')
  async handleSweep(): Promise<void> {
    await this.sender.sweep();
  }

  /** Jobs enqueued by a command service from before push_requests: turned into requests, sent here. */
  @OnJob('push.requested')
  async handleLegacy(data: JobData<'push.requested'>): Promise<void> {
    const ids = await this.dataSource.transaction((tx) => insertPushRequests(tx, data.deviceIds, data.reason, 0));
    this.logger.log(`legacy push.requested for ${data.deviceIds.length} devices became ${ids.length} push requests`);
    if (ids.length) await this.sender.sendBatch(ids);
  }
}
