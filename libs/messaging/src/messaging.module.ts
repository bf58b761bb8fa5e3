import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BroadcastBus } from './broadcast';
import { JobConsumerHost } from './job-consumer';
import { JobProducer } from './job-producer';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { QueueMetrics } from './queue-metrics';

@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      imports: [DiscoveryModule],
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, JobProducer, BroadcastBus, QueueMetrics, JobConsumerHost],
      exports: [JobProducer, BroadcastBus, QueueMetrics, MESSAGING_OPTIONS],
    };
  }
}
