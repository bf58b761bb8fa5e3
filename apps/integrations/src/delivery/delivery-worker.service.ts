import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { type ClaimedDelivery, WebhookDeliveryQueueStore } from '@mdm/persistence';
import { SecretBox } from '@mdm/pki';
import { isValidRequestId, runWithRequestId } from '@mdm/service-kit';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../integrations.config';
import { IntegrationsMetrics } from '../metrics/integrations-metrics.service';
import { deliveryBody } from './envelope';
import { type AttemptDecision, type AttemptResult, decideAttempt, describeFailure, resultClass } from './retry-policy';
import { sendWebhook } from './webhook-sender';

const HISTORY_SWEEP_MS = 60_000;

/**
 * Sends deliveries. Postgres is the queue: a replica claims due deliveries by setting a lease under
 * `FOR UPDATE SKIP LOCKED` (so no two replicas hold one delivery), sends them, and writes each outcome and
 * attempt in one statement that only applies while the lease is still its own. A killed replica's deliveries
 * are claimed again when their lease runs out (sent again: at-least-once; receivers de-duplicate on the event
 * id). For one webhook, only a device's oldest open delivery is claimable, so its events arrive in order, and
 * a delivery being retried holds back that device's later ones until it is delivered or dead.
 *
 * Wake-ups: a Postgres LISTEN on `webhook_deliveries` (notified in the transaction that creates deliveries),
 * a finished delivery (its device's next one may be due), and a poll every WEBHOOK_POLL_INTERVAL_MS for
 * retries coming due and anything a lost notice missed.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  /** Written into the leases this replica takes. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Set<Promise<void>>();
  private claiming = false;
  private again = false;
  private stopped = true;
  private pollTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private listener: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly metrics: IntegrationsMetrics,
    @Inject(INTEGRATIONS_CONFIG) private readonly config: IntegrationsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.config.WEBHOOK_POLL_INTERVAL_MS);
    this.sweepTimer = setInterval(() => void this.sweepHistory(), HISTORY_SWEEP_MS);
    this.listen();
    this.wake();
  }

  /** Stops claiming, lets the deliveries in hand finish and record their outcome (each is bounded by the timeout). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claim and send whatever is due, up to WEBHOOK_CONCURRENCY in flight. Never rejects. */
  wake(): void {
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    try {
      do {
        this.again = false;
        const room = this.config.WEBHOOK_CONCURRENCY - this.inFlight.size;
        if (room <= 0) break;
        const claimed = await this.claim(room);
        for (const delivery of claimed) {
          // Lines written while this delivery is in hand carry the correlation id of the call behind its event.
          const correlationId = correlationOf(delivery);
          this.track(correlationId === undefined ? this.deliver(delivery) : runWithRequestId(correlationId, () => this.deliver(delivery)));
        }
        // A full batch: there may be more due right now.
        if (claimed.length === room) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.error(`claiming webhook deliveries failed (retried on the next poll): ${(err as Error).message}`);
    } finally {
      this.claiming = false;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.wake();
    });
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    return WebhookDeliveryQueueStore.claim(this.dataSource, this.owner, limit, this.config.WEBHOOK_LEASE_MS);
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const started = new Date();
    let result: AttemptResult;
    const body =
      d.data && d.occurredAt
        ? deliveryBody(d.format, { eventId: d.eventId, type: d.eventType, udid: d.udid, occurredAt: d.occurredAt, data: d.data })
        : undefined;
    if (body === undefined) {
      // Nothing to send, now or later: the event was deleted, or the webhook's format changed to one without it.
      const why = d.data ? `the ${d.format} format has no message for ${d.eventType}` : 'the event no longer exists';
      await this.record(d, started, 0, { kind: 'network', message: why }, { outcome: 'dead' });
      return;
    }
    let secret: string;
    try {
      secret = this.secrets.openString(d.secretSealed);
    } catch (err) {
      result = { kind: 'network', message: `the webhook secret cannot be opened with MDM_SECRET_KEY: ${(err as Error).message}` };
      await this.record(d, started, 0, result, this.decide(result, d));
      return;
    }
    const correlationId = correlationOf(d);
    result = await sendWebhook({ url: d.url, secret, body, deliveryId: d.id, eventId: d.eventId, eventType: d.eventType, requestId: correlationId }, this.config.WEBHOOK_TIMEOUT_MS);
    const durationMs = Date.now() - started.getTime();
    this.metrics.attempt(resultClass(result), durationMs);
    this.logger.log({
      msg: `webhook delivery ${d.id} (${d.eventType}) attempt ${d.attempts + 1}: ${resultClass(result)}`,
      deliveryId: d.id,
      eventId: d.eventId,
      eventType: d.eventType,
      attempt: d.attempts + 1,
      result: resultClass(result),
      durationMs,
      correlationId,
    });
    await this.record(d, started, durationMs, result, this.decide(result, d));
  }

  private decide(result: AttemptResult, d: ClaimedDelivery): AttemptDecision {
    return decideAttempt(result, d.attempts + 1, new Date(), new Date(d.retryUntil), {
      baseMs: this.config.WEBHOOK_RETRY_BASE_MS,
      maxMs: this.config.WEBHOOK_RETRY_MAX_MS,
    });
  }

  /**
   * The outcome and the attempt, written only while this worker still holds the lease (a worker that lost
   * it, by running past it, leaves the row to whoever claimed it since).
   */
  private async record(d: ClaimedDelivery, started: Date, durationMs: number, result: AttemptResult, decision: AttemptDecision): Promise<void> {
    const status = decision.outcome === 'retry' ? 'retrying' : decision.outcome;
    const error = describeFailure(result, this.config.WEBHOOK_TIMEOUT_MS);
    try {
      const applied = await WebhookDeliveryQueueStore.record(this.dataSource, d.id, this.owner, {
        status,
        outcome: decision.outcome,
        nextAttemptAt: decision.outcome === 'retry' ? decision.nextAttemptAt : null,
        startedAt: started,
        durationMs,
        httpStatus: result.kind === 'http' ? result.status : null,
        error,
      });
      if (!applied) {
        this.logger.warn(`delivery ${d.id}: lease lost before its outcome (${status}) was written; whoever holds it now decides`);
        return;
      }
      this.metrics.outcome(decision.outcome, d.occurredAt ?? undefined);
      if (decision.outcome === 'dead') this.logger.warn(`delivery ${d.id} (${d.eventType}) to ${d.url} is dead after ${d.attempts + 1} attempt(s): ${error ?? ''}`);
    } catch (err) {
      // The lease runs out and the delivery is sent again: at-least-once.
      this.logger.error(`delivery ${d.id}: writing the outcome failed, it will be sent again after its lease: ${(err as Error).message}`);
    }
  }

  /** Deliveries that are over (delivered or dead) go after WEBHOOK_HISTORY_DAYS, their attempts with them. */
  private async sweepHistory(): Promise<void> {
    try {
      await WebhookDeliveryQueueStore.sweepHistory(this.dataSource, this.config.WEBHOOK_HISTORY_DAYS);
    } catch (err) {
      this.logger.warn(`webhook history sweep failed: ${(err as Error).message}`);
    }
  }

  /** LISTEN on a connection of its own (pooled ones come and go); re-connects after a second when it drops. */
  private listen(): void {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.DATABASE_URL });
    const retry = (why: string): void => {
      if (this.listener !== client || this.stopped) return;
      this.listener = undefined;
      this.logger.warn(`delivery wake-up listener lost (${why}); polling covers it, reconnecting`);
      void client.end().catch(() => undefined);
      this.reconnectTimer = setTimeout(() => this.listen(), 1000);
    };
    client.on('notification', () => this.wake());
    client.on('error', (err) => retry(err.message));
    client.on('end', () => retry('connection ended'));
    this.listener = client;
    client
      .connect()
      .then(() => WebhookDeliveryQueueStore.listen(client))
      .then(() => this.wake())
      .catch((err: Error) => retry(err.message));
  }
}

/** The correlation id a command event carries (`correlationId` in its data), if it is one we may send on. */
function correlationOf(d: ClaimedDelivery): string | undefined {
  const id = d.data?.['correlationId'];
  return isValidRequestId(id) ? id : undefined;
}
