import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { JobData } from '@mdm/contracts';
import { JobProducer, OnJob } from '@mdm/messaging';
import { PUSH_CONFIG, type PushConfig } from '../push.config';
import { PushSender } from './push-sender.service';

/** The push queue's jobs: batches of request ids and the periodic sweep. */
@Injectable()
export class PushJobsProcessor implements OnApplicationBootstrap {
  constructor(
    private readonly sender: PushSender,
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
}
