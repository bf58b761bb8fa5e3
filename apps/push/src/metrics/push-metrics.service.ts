import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Queue } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import type { MetricsSource } from '@mdm/service-kit';
import { ApnsClientsService } from '../apns/apns-clients.service';

export type PushMetricOutcome = 'sent' | 'dead-token' | 'certificate-error' | 'retryable' | 'failed' | 'skipped';

/** Prometheus metrics of one push worker, served on its health port at /metrics. */
@Injectable()
export class PushMetrics {
  readonly registry = new Registry();
  private readonly pushes: Counter<'outcome'>;
  private readonly latency: Histogram;

  constructor(clients: ApnsClientsService, dataSource: DataSource, producer: JobProducer) {
    collectDefaultMetrics({ register: this.registry, prefix: 'mdm_push_' });
    this.pushes = new Counter({
      name: 'mdm_push_pushes_total',
      help: 'Push requests finished, by outcome (sent, or why not)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'mdm_push_apns_latency_seconds',
      help: 'From handing a push to the APNs client until its answer (includes waiting for a free stream)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: 'mdm_push_in_flight',
      help: 'Pushes this worker has handed to APNs clients and not yet had answered',
      registers: [this.registry],
      collect() {
        this.set(clients.inFlight);
      },
    });
    new Gauge({
      name: 'mdm_push_queue_depth',
      help: 'Push requests not yet finished (all replicas): pending or being sent',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows: Array<{ status: string; n: string }> = await dataSource.query(
          `SELECT status, count(*) AS n FROM push_requests WHERE status IN ('pending', 'sending') GROUP BY status`,
        );
        this.reset();
        this.set({ status: 'pending' }, 0);
        this.set({ status: 'sending' }, 0);
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      },
    });
    new Gauge({
      name: 'mdm_push_jobs_waiting',
      help: 'BullMQ jobs on the push queue (waiting, delayed, active)',
      registers: [this.registry],
      async collect() {
        this.set(await producer.depth(Queue.Push));
      },
    });
  }

  outcome(outcome: PushMetricOutcome, n = 1): void {
    this.pushes.inc({ outcome }, n);
  }

  observeLatency(ms: number): void {
    this.latency.observe(ms / 1000);
  }

  readonly source: MetricsSource = async () => ({ contentType: this.registry.contentType, body: await this.registry.metrics() });
}
