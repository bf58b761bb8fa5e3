import type { QueueName } from '@mdm/contracts';

export interface MessagingOptions {
  redisUrl: string;
  /** BullMQ key prefix; tests give each run its own so runs never collide. */
  prefix: string;
  /** Queues this app consumes. Every job routed to them must have exactly one @OnJob handler. */
  consume?: readonly QueueName[];
  /** Queues this app puts jobs on without consuming them: reported by the queue metrics with the consumed ones. */
  produce?: readonly QueueName[];
  concurrency?: Partial<Record<QueueName, number>>;
}

export const MESSAGING_OPTIONS = Symbol('MessagingOptions');
