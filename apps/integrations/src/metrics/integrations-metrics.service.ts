import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Counter, Gauge, Histogram } from 'prom-client';
import { WebhookDeliveriesStore } from '@mdm/persistence';
import { cachedReading, SCRAPE_CACHE_MS, ServiceMetrics } from '@mdm/service-kit';

/**
 * Prometheus metrics of one integrations replica, on the process registry (`ServiceMetrics`, served at
 * /metrics). The queue gauges cover all replicas: they read Postgres, cached between scrapes.
 */
@Injectable()
export class IntegrationsMetrics {
  private readonly deliveries: Counter<'outcome'>;
  private readonly attempts: Counter<'result'>;
  private readonly latency: Histogram;
  private readonly endToEnd: Histogram;
  private readonly fannedOut: Counter;

  constructor(dataSource: DataSource, metrics: ServiceMetrics) {
    const registry = metrics.registry;
    this.deliveries = new Counter({
      name: 'mdm_webhooks_deliveries_total',
      help: 'Webhook deliveries finished or put back, by outcome: delivered, retry (an attempt failed), dead (retry window over)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.attempts = new Counter({
      name: 'mdm_webhooks_attempts_total',
      help: 'HTTP attempts by result: 2xx, 3xx, 4xx, 429, 5xx, timeout, network',
      labelNames: ['result'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'mdm_webhooks_attempt_duration_seconds',
      help: 'From sending a webhook request to its answer (or the timeout)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.endToEnd = new Histogram({
      name: 'mdm_webhooks_delivery_latency_seconds',
      help: 'From the event to its delivery (2xx), retries included',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
      registers: [registry],
    });
    this.fannedOut = new Counter({
      name: 'mdm_webhooks_fanned_out_total',
      help: 'Deliveries created by the event feed (one per event and matching webhook)',
      registers: [registry],
    });
    const open = cachedReading(SCRAPE_CACHE_MS, () => WebhookDeliveriesStore.depth(dataSource));
    new Gauge({
      name: 'mdm_webhooks_queue_depth',
      help: 'Deliveries (all replicas), by status: pending, retrying (open), dead (dead letters kept for WEBHOOK_HISTORY_DAYS)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const r = await open();
        this.set({ status: 'pending' }, r.pending);
        this.set({ status: 'retrying' }, r.retrying);
        this.set({ status: 'dead' }, r.dead);
      },
    });
    new Gauge({
      name: 'mdm_webhooks_oldest_open_age_seconds',
      help: 'Age of the oldest open (pending or retrying) delivery: how far behind the slowest receiver is',
      registers: [registry],
      async collect() {
        this.set(Math.max(0, (await open()).oldestOpenSeconds));
      },
    });
  }

  attempt(result: string, durationMs: number): void {
    this.attempts.inc({ result });
    this.latency.observe(durationMs / 1000);
  }

  outcome(outcome: 'delivered' | 'retry' | 'dead', eventAt?: Date): void {
    this.deliveries.inc({ outcome });
    if (outcome === 'delivered' && eventAt) this.endToEnd.observe(Math.max(0, Date.now() - eventAt.getTime()) / 1000);
  }

  created(n: number): void {
    this.fannedOut.inc(n);
  }
}
