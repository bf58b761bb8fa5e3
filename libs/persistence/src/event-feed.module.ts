import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EVENT_FEED_OPTIONS, EventFeedHost, type EventFeedOptions } from './event-feed.host';

/** Runs the app's `@FollowFeed` handlers; `EventFeedHost` is exported for metrics and tests (`drain`). */
@Module({})
export class EventFeedModule {
  static forRoot(options: EventFeedOptions): DynamicModule {
    return {
      module: EventFeedModule,
      imports: [DiscoveryModule],
      providers: [{ provide: EVENT_FEED_OPTIONS, useValue: options }, EventFeedHost],
      exports: [EventFeedHost],
    };
  }
}
