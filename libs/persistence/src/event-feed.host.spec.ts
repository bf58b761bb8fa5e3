import { Global, Injectable, Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { FeedConsumer } from '@mdm/contracts';
import { EventFeedRunner } from './event-feed';
import { EventFeedHost, type EventFeedOptions } from './event-feed.host';
import { EventFeedModule } from './event-feed.module';
import { FollowFeed } from './follow-feed.decorator';

@Injectable()
class Follower {
  @FollowFeed(FeedConsumer.Webhooks, { afterCommit: 'after' })
  async handle(): Promise<void> {}
  after(): void {}
}

@Injectable()
class SecondFollower {
  @FollowFeed(FeedConsumer.Webhooks)
  async handle(): Promise<void> {}
}

@Injectable()
class ProfileFollower {
  @FollowFeed(FeedConsumer.Profile)
  async handle(): Promise<void> {}
}

@Injectable()
class BadHook {
  @FollowFeed(FeedConsumer.Profile, { limit: 10, afterCommit: 'missing' })
  async handle(): Promise<void> {}
}

/** Stands in for TypeORM's global data source, never reached since no runner starts. */
@Global()
@Module({ providers: [{ provide: DataSource, useValue: {} }], exports: [DataSource] })
class FakeDataSourceModule {}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function hostWith(providers: Array<new (...args: never[]) => object>, limit?: number, options: Partial<EventFeedOptions> = {}): Promise<EventFeedHost> {
  @Module({ imports: [FakeDataSourceModule, EventFeedModule.forRoot({ intervalMs: 1000, limit, ...options })], providers })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  opened.push(app);
  return app.get(EventFeedHost);
}

describe('EventFeedHost', () => {
  it('finds each @FollowFeed handler as one consumer', async () => {
    expect((await hostWith([Follower], 50)).consumers()).toEqual([FeedConsumer.Webhooks]);
  });

  it('refuses two handlers for one consumer', async () => {
    await expect(hostWith([Follower, SecondFollower], 50).then((h) => h.consumers())).rejects.toThrow('has two @FollowFeed handlers');
  });

  it('refuses a consumer with no limit anywhere', async () => {
    await expect(hostWith([Follower]).then((h) => h.consumers())).rejects.toThrow('names no limit');
  });

  it('refuses an afterCommit that is not a method', async () => {
    await expect(hostWith([BadHook]).then((h) => h.consumers())).rejects.toThrow('afterCommit missing is not a method');
  });

  it('starts every consumer with the app but a paused one', async () => {
    const start = jest.spyOn(EventFeedRunner.prototype, 'start').mockImplementation(() => undefined);
    try {
      await hostWith([Follower, ProfileFollower], 50, { paused: [FeedConsumer.Profile] });
      expect(start).toHaveBeenCalledTimes(1);
    } finally {
      start.mockRestore();
    }
  });

  it('drains only consumers it follows', async () => {
    const host = await hostWith([Follower], 50);
    expect(() => host.drain(FeedConsumer.Profile)).toThrow('does not follow the feed as profile-service');
  });
});
