import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Counter, Gauge, Histogram } from 'prom-client';
import { PushClaimsStore } from '@mdm/persistence';
import { cachedReading, SCRAPE_CACHE_MS, ServiceMetrics } from '@mdm/service-kit';
import { ApnsClientsService } from '../apns/apns-clients.service';

export type PushMetricOutcome = 'sent' | 'dead-token' | 'certificate-error' | 'retryable' | 'failed' | 'skipped';

/**
 * Prometheus metrics of one push worker, on the process registry (`ServiceMetrics`) served on its health
 * port at /metrics. The push_requests gauges read Postgres (all replicas), cached between scrapes.
 */
@Injectable()
export class PushMetrics {
  private readonly pushes: Counter<'outcome'>;
  private readonly latency: Histogram;

  constructor(clients: ApnsClientsService, dataSource: DataSource, metrics: ServiceMetrics) {
    const registers = [metrics.registry];
    this.pushes = new Counter({
      name: 'mdm_push_pushes_total',
      help: 'Push requests finished, by outcome (sent, or why not)',
      labelNames: ['outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'mdm_push_apns_latency_seconds',
      help: 'From handing a push to the APNs client until its answer (includes waiting for a free stream)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: 'mdm_push_in_flight',
      help: 'Pushes this worker has handed to APNs clients and not yet had answered',
      registers,
      collect() {
        this.set(clients.inFlight);
      },
    });
    const requests = cachedReading(SCRAPE_CACHE_MS, () => PushClaimsStore.queueDepth(dataSource));
    new Gauge({
      name: 'mdm_push_queue_depth',
      help: 'Push requests not yet finished (all replicas), by status: pending (includes ones not yet due) or sending',
      labelNames: ['status'],
      registers,
      async collect() {
        const r = await requests();
        this.set({ status: 'pending' }, r.pending);
        this.set({ status: 'sending' }, r.sending);
      },
    });
    new Gauge({
      name: 'mdm_push_oldest_pending_age_seconds',
      help: 'How long the oldest due push request has waited to be claimed (all replicas; 0 when none is due)',
      registers,
      async collect() {
        this.set((await requests()).oldestDueAgeSeconds);
      },
    });
  }

  /** Counts a group of outcomes with one increment per distinct outcome. */
  outcomes(outcomes: readonly PushMetricOutcome[]): void {
    const counts = new Map<PushMetricOutcome, number>();
    for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    for (const [outcome, n] of counts) this.pushes.inc({ outcome }, n);
  }

  observeLatency(ms: number): void {
    this.latency.observe(ms / 1000);
  }
}
