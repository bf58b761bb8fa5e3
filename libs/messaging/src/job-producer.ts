import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue as BullQueue, type JobsOptions } from 'bullmq';
import type { RedisClient } from './redis-connection';
import { type Job, JobQueue, type QueueName } from '@mdm/contracts';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { createRedis } from './redis-connection';
import { isRedisConnectionError } from './redis-reachability';

/** Retries cover consumers that crash or lose their database mid-job; jobs outlive restarts in Redis. */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 10000 },
};

/** A scheduler is upserted again every tick, at most this far apart and at least 5 s (see `schedule`). */
const SCHEDULER_REFRESH_MS = 30_000;

@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<QueueName, BullQueue>();
  private connection: RedisClient | undefined;
  private readonly schedulers = new Map<string, NodeJS.Timeout>();

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions) {}

  /** The only way to put work on a queue: the job's name decides its queue and its payload type. */
  async enqueue(job: Job, opts: JobsOptions = {}): Promise<void> {
    await this.queue(JobQueue[job.name]).add(job.name, job.data, { ...DEFAULT_JOB_OPTIONS, ...opts });
  }

  async enqueueBulk(jobs: readonly Job[], opts: JobsOptions = {}): Promise<void> {
    const byQueue = new Map<QueueName, Job[]>();
    for (const job of jobs) {
      const q = JobQueue[job.name];
      const list = byQueue.get(q);
      if (list) list.push(job);
      else byQueue.set(q, [job]);
    }
    for (const [q, list] of byQueue) {
      await this.queue(q).addBulk(
        list.map((j) => ({ name: j.name, data: j.data, opts: { ...DEFAULT_JOB_OPTIONS, ...opts } })),
      );
    }
  }

  /**
   * Periodic work: a BullMQ job scheduler adds one job per tick to the job's queue, and competing
   * consumers hand it to one replica, so it runs once however many replicas upsert the same scheduler.
   */
  async schedule(schedulerId: string, everyMs: number, job: Job): Promise<void> {
    const upsert = (): Promise<unknown> =>
      this.queue(JobQueue[job.name]).upsertJobScheduler(
        schedulerId,
        { every: everyMs },
        { name: job.name, data: job.data, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
      );
    await upsert();
    // Redis may lose the scheduler (flushed, restarted without persistence, failed over): upserting it
    // again now and then brings the periodic sweeps back, and with them whatever Postgres says is pending.
    if (!this.schedulers.has(schedulerId)) {
      const timer = setInterval(() => void upsert().catch(() => undefined), Math.max(5_000, Math.min(everyMs, SCHEDULER_REFRESH_MS)));
      timer.unref();
      this.schedulers.set(schedulerId, timer);
    }
  }

  /** Jobs waiting or delayed: what a metrics endpoint or a test drain helper reads. */
  async depth(queue: QueueName): Promise<number> {
    const counts = await this.queue(queue).getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  queue(name: QueueName): BullQueue {
    let q = this.queues.get(name);
    if (!q) {
      this.connection ??= createRedis(this.options.redisUrl);
      q = new BullQueue(name, { connection: this.connection, prefix: this.options.prefix });
      // Without a listener BullMQ prints each connection failure with its stack; createRedis reports those once.
      q.on('error', (err) => {
        if (!isRedisConnectionError(err)) this.logger.error(`queue ${name}: ${err.message}`);
      });
      this.queues.set(name, q);
    }
    return q;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.schedulers.values()) clearInterval(timer);
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection?.disconnect();
  }
}
