import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Worker, type Job as BullJob } from 'bullmq';
import { type JobName, JobQueue, JobSchemas, type QueueName } from '@mdm/contracts';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { ON_JOB } from './on-job.decorator';
import { QueueMetrics } from './queue-metrics';
import { createRedis } from './redis-connection';
import { isRedisConnectionError } from './redis-reachability';

type Handler = (data: unknown, job: BullJob) => Promise<unknown>;

/**
 * Finds every @OnJob handler and runs one BullMQ worker per consumed queue. Workers compete, so
 * each job is handled by exactly one replica; a job whose handler throws is retried with backoff.
 */
@Injectable()
export class JobConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: QueueMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const consumed = this.options.consume ?? [];
    const handlers = this.collectHandlers();
    for (const [name] of handlers) {
      if (!consumed.includes(JobQueue[name])) {
        throw new Error(`@OnJob('${name}') is declared but queue ${JobQueue[name]} is not consumed by this app`);
      }
    }
    for (const queue of consumed) {
      const jobs = (Object.keys(JobQueue) as JobName[]).filter((n) => JobQueue[n] === queue);
      const missing = jobs.filter((n) => !handlers.has(n));
      if (missing.length) throw new Error(`queue ${queue}: no @OnJob handler for ${missing.join(', ')}`);
      this.workers.push(this.startWorker(queue, handlers));
    }
  }

  private collectHandlers(): Map<JobName, Handler> {
    const found = new Map<JobName, Handler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(ON_JOB, fn as (...a: unknown[]) => unknown);
        if (!name) continue;
        if (found.has(name)) throw new Error(`job ${name} has two @OnJob handlers`);
        found.set(name, (data, job) => Promise.resolve((fn as Handler).call(instance, data, job)));
      }
    }
    return found;
  }

  private startWorker(queue: QueueName, handlers: Map<JobName, Handler>): Worker {
    const worker = new Worker(
      queue,
      async (job) => {
        const name = job.name as JobName;
        const handler = handlers.get(name);
        if (!handler) throw new Error(`queue ${queue} got unknown job ${job.name}`);
        const started = process.hrtime.bigint();
        const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          // Parse at the consumer boundary: a malformed payload fails loudly instead of half-working.
          const data = JobSchemas[name].parse(job.data);
          const result = await handler(data, job);
          this.metrics.jobFinished(queue, job.name, 'completed', seconds());
          return result;
        } catch (err) {
          this.metrics.jobFinished(queue, job.name, 'failed', seconds());
          throw err;
        }
      },
      {
        connection: createRedis(this.options.redisUrl),
        prefix: this.options.prefix,
        concurrency: this.options.concurrency?.[queue] ?? 8,
      },
    );
    worker.on('failed', (job, err) =>
      this.logger.warn(`job ${job?.name ?? '?'} ${job?.id ?? ''} failed (attempt ${job?.attemptsMade ?? 0}): ${err.message}`),
    );
    worker.on('error', (err) => {
      if (!isRedisConnectionError(err)) this.logger.error(`worker ${queue}: ${err.message}`);
    });
    return worker;
  }

  /** Stop taking jobs and let the ones in hand finish before connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
