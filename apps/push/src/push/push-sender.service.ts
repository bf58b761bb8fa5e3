import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { apnsIdOfRequest, type PushResult } from '@mdm/apns';
import { pushBatchJobs } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import { type ClaimedPush, PushClaimsStore, recordEvents, unpushableReason } from '@mdm/persistence';
import { ApnsClientsService, type TopicLookup } from '../apns/apns-clients.service';
import { PushMetrics } from '../metrics/push-metrics.service';
import { PUSH_CONFIG, type PushConfig } from '../push.config';
import { Flusher } from './flusher';
import { type Done, PushRecorder } from './push-recorder.service';

/** At most this many distinct correlation ids are named in a batch's log line. */
const LOGGED_CORRELATION_IDS = 20;

/**
 * Sends the pushes of claimed `push_requests` rows and writes their outcomes. A row is claimed with a
 * lease (one UPDATE per batch) that the worker renews while the batch is in flight, so two workers never
 * send the same request while both are alive, however slowly APNs answers; a dead worker's rows are
 * claimed again once its lease runs out. Outcomes are written in groups as APNs answers (one UPDATE per
 * group, not per device), with their events in the same transaction.
 */
@Injectable()
export class PushSender {
  private readonly logger = new Logger(PushSender.name);
  /** Identifies this process's leases; the pid makes a killed replica's rows easy to spot. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /**
   * Requests this process is sending now. A job for one of them (a stalled job handed back, the sweep
   * after a missed renewal) must not claim it a second time while the first send is still running.
   */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ApnsClientsService,
    private readonly producer: JobProducer,
    private readonly metrics: PushMetrics,
    private readonly recorder: PushRecorder,
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
  ) {}

  /** Claims whichever of these requests are still unclaimed (or whose lease ran out) and sends them. */
  async sendBatch(requestIds: readonly string[]): Promise<void> {
    const free = requestIds.filter((id) => !this.inFlight.has(id));
    if (!free.length) return;
    const claimedAt = new Date();
    const claimed = await this.dataSource.transaction((tx) => PushClaimsStore.claim(tx, free, this.owner, this.config.PUSH_LEASE_MS));
    if (!claimed.length) return;
    // UPDATE ... RETURNING has no order; APNs gets them in request order.
    claimed.sort((a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const ids = claimed.map((r) => r.id);
    for (const id of ids) this.inFlight.add(id);
    const lease = this.renewLeases(ids);
    try {
      await this.send(claimed, claimedAt);
    } finally {
      await lease.stop();
      for (const id of ids) this.inFlight.delete(id);
    }
  }

  /**
   * Extends the lease of these requests every third of PUSH_LEASE_MS until stopped. A failed renewal is
   * logged; the next one tries again.
   */
  private renewLeases(ids: readonly string[]): { stop(): Promise<void> } {
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal
        .then(() => PushClaimsStore.renew(this.dataSource, ids, this.owner, this.config.PUSH_LEASE_MS))
        .catch((err: unknown) => this.logger.warn(`renewing the lease of ${ids.length} push requests failed: ${(err as Error).message}`));
    }, Math.max(50, Math.floor(this.config.PUSH_LEASE_MS / 3)));
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await renewal;
      },
    };
  }

  /** Sends claimed requests to APNs and writes their outcomes as they come. */
  private async send(claimed: ClaimedPush[], claimedAt: Date): Promise<void> {
    const flusher = new Flusher<Done>(async (done) => {
      const released = await this.recorder.record(this.owner, done, claimedAt);
      // A command came while these were sent: each is pushed once more, by whichever worker takes the job.
      for (const r of released) this.inFlight.delete(r.id);
      const byDelay = new Map<number, string[]>();
      for (const r of released) byDelay.set(r.delayMs, [...(byDelay.get(r.delayMs) ?? []), r.id]);
      for (const [delay, ids] of byDelay) await this.producer.enqueueBulk(pushBatchJobs(ids, this.config.PUSH_BATCH_SIZE), { delay });
    });
    const expiration = Math.floor(Date.now() / 1000) + this.config.APNS_PUSH_TTL_SECONDS;
    const topics = new Map<string, TopicLookup>();
    const sends: Promise<void>[] = [];
    let sent = 0;
    for (const req of claimed) {
      // Checked again at send time: things change after the request.
      const skip = unpushableReason(req);
      if (skip !== null) {
        flusher.add(notSent(req, 'skipped', skip));
        continue;
      }
      const topic = req.topic as string;
      let lookup = topics.get(topic);
      if (lookup === undefined) {
        // The claim read the stored certificate: a client loaded before a replacement is never used.
        lookup = await this.clients.forTopic(topic, req.certificateFingerprint);
        topics.set(topic, lookup);
      }
      if (lookup.kind !== 'ready') {
        flusher.add(notSent(req, 'certificate-error', lookup.reason));
        continue;
      }
      const started = Date.now();
      sends.push(
        lookup.client.send({ token: req.pushToken as string, topic, pushMagic: req.pushMagic as string, expiration, id: apnsIdOfRequest(req.id) }).then((result: PushResult) => {
          this.metrics.observeLatency(Date.now() - started);
          if (result.outcome === 'sent') sent++;
          if (result.outcome === 'certificate-error' && result.status !== 0) void this.stopTopic(topic, result);
          flusher.add({
            req,
            outcome: result.outcome,
            reason: result.reason ?? null,
            apnsId: result.apnsId ?? null,
            timestamp: result.timestamp,
            retryAfterMs: result.retryAfterMs,
          });
        }),
      );
    }
    await Promise.all(sends);
    await flusher.close();
    // One line per batch, naming the API calls (X-Request-Id) whose commands these pushes announce.
    const correlationIds = [...new Set(claimed.map((r) => r.correlationId).filter((id): id is string => id !== null))];
    this.logger.log({ msg: `push batch: ${sent} of ${claimed.length} sent`, requests: claimed.length, sent, correlationIds: correlationIds.slice(0, LOGGED_CORRELATION_IDS) });
  }

  private async stopTopic(topic: string, result: PushResult): Promise<void> {
    const reason = `${result.status} ${result.reason ?? 'certificate refused'}`;
    try {
      const fingerprint = await this.clients.stopTopic(topic, reason);
      if (fingerprint === undefined) return;
      this.logger.error(`OPERATOR ALERT: APNs refused the push certificate for ${topic} (${reason}); pushes to this topic are stopped until a new certificate is uploaded`);
      await this.dataSource.transaction((tx) => recordEvents(tx, [{ type: 'push.topic_stopped', data: { topic, fingerprint, reason } }]));
    } catch (err) {
      this.logger.error(`stopping topic ${topic} failed: ${(err as Error).message}`);
    }
  }

  /** Re-enqueues requests nobody is working on (a lost job, a dead worker's lease) and deletes old history. */
  async sweep(): Promise<number> {
    const ids = await PushClaimsStore.unattended(this.dataSource, this.config.PUSH_LEASE_MS, this.config.PUSH_BATCH_SIZE * 8);
    if (ids.length) {
      await this.producer.enqueueBulk(pushBatchJobs(ids, this.config.PUSH_BATCH_SIZE));
      this.logger.warn(`sweep re-enqueued ${ids.length} push requests nobody was working on`);
    }
    if (this.config.PUSH_HISTORY_DAYS > 0) await PushClaimsStore.deleteHistory(this.dataSource, this.config.PUSH_HISTORY_DAYS);
    return ids.length;
  }
}

/** A request that never reached APNs. */
function notSent(req: ClaimedPush, outcome: 'skipped' | 'certificate-error', reason: string): Done {
  return { req, outcome, reason, apnsId: null, timestamp: undefined, retryAfterMs: undefined };
}
