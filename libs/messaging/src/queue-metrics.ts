import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueName } from '@mdm/contracts';
import { JobProducer } from './job-producer';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';

/**
 * The process's Prometheus registry, provided by `@mdm/service-kit`'s metrics module. Optional: without
 * it (a unit test, a script) the queues work the same and report nothing.
 */
export const METRICS_REGISTRY = Symbol('MetricsRegistry');

/** BullMQ states reported per queue; `failed` is bounded by the producer's `removeOnFail`. */
export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
type QueueState = (typeof QUEUE_STATES)[number];

export type JobOutcome = 'completed' | 'failed';

interface QueueSnapshot {
  queue: QueueName;
  counts: Record<QueueState, number>;
  /** Seconds the oldest waiting job has been due; 0 when none waits. */
  oldestWaitingAge: number;
}

/** A scrape within this long of the last one is answered from its reading: Prometheus replicas and
 * dashboards scraping every second cost Redis one round of reads per queue per 5 s, not per scrape. */
export const QUEUE_SNAPSHOT_TTL_MS = 5_000;

/**
 * Queue metrics of the queues this service consumes or produces (`consume` and `produce` in the messaging
 * options): depth per state and the age of the oldest waiting job, read from Redis when scraped (cached
 * for `QUEUE_SNAPSHOT_TTL_MS`), and jobs processed by this replica's workers, by outcome.
 */
@Injectable()
export class QueueMetrics {
  private readonly processed: Counter<'queue' | 'name' | 'outcome'> | undefined;
  private readonly duration: Histogram<'queue' | 'name' | 'outcome'> | undefined;
  private readonly queues: readonly QueueName[];
  private cache: { at: number; value: Promise<QueueSnapshot[]> } | undefined;

  constructor(
    @Inject(MESSAGING_OPTIONS) options: MessagingOptions,
    private readonly producer: JobProducer,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
  ) {
    this.queues = [...new Set([...(options.consume ?? []), ...(options.produce ?? [])])];
    if (!registry) return;
    this.processed = new Counter({
      name: 'mdm_jobs_processed_total',
      help: 'Queue jobs this replica finished, by queue, job name and outcome (completed, failed: the handler threw; BullMQ may retry it)',
      labelNames: ['queue', 'name', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'mdm_job_duration_seconds',
      help: 'Time a job spent in its handler on this replica, by queue, job name and outcome',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    if (!this.queues.length) return;
    const read = (): Promise<QueueSnapshot[]> => this.snapshot();
    new Gauge({
      name: 'mdm_queue_jobs',
      help: 'Jobs in a BullMQ queue (all replicas), by state: waiting, delayed, active, failed (kept for inspection)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const s of await read()) for (const state of QUEUE_STATES) this.set({ queue: s.queue, state }, s.counts[state]);
      },
    });
    new Gauge({
      name: 'mdm_queue_oldest_waiting_age_seconds',
      help: 'How long the oldest waiting job of a BullMQ queue has been due (0 when none waits): consumers falling behind',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        for (const s of await read()) this.set({ queue: s.queue }, s.oldestWaitingAge);
      },
    });
  }

  /** Called by the consumer wrapper for every job its handler finished or threw on. */
  jobFinished(queue: QueueName, name: string, outcome: JobOutcome, seconds: number): void {
    this.processed?.inc({ queue, name, outcome });
    this.duration?.observe({ queue, name, outcome }, seconds);
  }

  private snapshot(): Promise<QueueSnapshot[]> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < QUEUE_SNAPSHOT_TTL_MS) return this.cache.value;
    const value = Promise.all(this.queues.map((q) => this.readQueue(q, now)));
    this.cache = { at: now, value };
    // A failed read is not kept: the next scrape tries again.
    value.catch(() => (this.cache = undefined));
    return value;
  }

  private async readQueue(name: QueueName, now: number): Promise<QueueSnapshot> {
    const queue = this.producer.queue(name);
    const [counts, oldest] = await Promise.all([
      queue.getJobCounts(...QUEUE_STATES),
      // asc: the job that has waited longest (the next one a worker takes).
      queue.getJobs(['wait'], 0, 0, true),
    ]);
    const job = oldest[0];
    const dueAt = job ? job.timestamp + (job.delay ?? 0) : now;
    return {
      queue: name,
      counts: { waiting: counts['waiting'] ?? 0, delayed: counts['delayed'] ?? 0, active: counts['active'] ?? 0, failed: counts['failed'] ?? 0 },
      oldestWaitingAge: Math.max(0, now - dueAt) / 1000,
    };
  }
}
