import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from './redis-connection';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { createRedis } from './redis-connection';

/**
 * Redis pub/sub for notices every replica must hear ("the push certificate changed, reload it").
 * Never for work: a message published while a replica is down is simply missed, so subscribers
 * also reload on their own schedule.
 */
@Injectable()
export class BroadcastBus implements OnApplicationShutdown {
  private readonly logger = new Logger('Broadcast');
  private publisher: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private readonly handlers = new Map<string, Array<(message: string) => void>>();

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions) {}

  private channel(name: string): string {
    return `${this.options.prefix}.${name}`;
  }

  async publish(name: string, message = ''): Promise<void> {
    this.publisher ??= createRedis(this.options.redisUrl);
    await this.publisher.publish(this.channel(name), message);
  }

  async subscribe(name: string, handler: (message: string) => void): Promise<void> {
    if (!this.subscriber) {
      this.subscriber = createRedis(this.options.redisUrl);
      this.subscriber.on('message', (channel: string, message: string) => {
        for (const h of this.handlers.get(channel) ?? []) {
          try {
            h(message);
          } catch (err) {
            this.logger.error(`handler for ${channel} failed: ${(err as Error).message}`);
          }
        }
      });
    }
    const channel = this.channel(name);
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
    await this.subscriber.subscribe(channel);
  }

  onApplicationShutdown(): void {
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }
}
