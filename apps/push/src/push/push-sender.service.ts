import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PushResult } from '@mdm/apns';
import { type MdmEvent, pushBatchJobs } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import { insertPushRequests, preferIndexLookups, recordEvents, recordEventsBulk, rowsOf } from '@mdm/persistence';
import { ApnsClientsService, type TopicLookup } from '../apns/apns-clients.service';
import { PushMetrics, type PushMetricOutcome } from '../metrics/push-metrics.service';
import { PUSH_CONFIG, type PushConfig } from '../push.config';
import { retryDelayMs } from '@mdm/service-kit';

/** A claimed push request with what sending it needs. */
interface Claimed {
  id: string;
  device_id: string;
  attempt: number;
  udid: string;
  enrolled: boolean;
  topic: string | null;
  push_token: string | null;
  push_magic: string | null;
  token_invalid_at: Date | null;
  /** The stored push certificate of the device's topic, read with the claim; null when none is stored. */
  certificate_fingerprint: string | null;
  /** The X-Request-Id of the API call whose command created this request (see the CorrelationIds migration). */
  correlation_id: string | null;
}

/** At most this many distinct correlation ids are named in a batch's log line. */
const LOGGED_CORRELATION_IDS = 20;

/** One finished request, waiting to be written with the others of its flush. */
interface Done {
  req: Claimed;
  outcome: PushMetricOutcome;
  reason: string | null;
  apnsId: string | null;
  /** 410: when APNs learnt the token was dead (ms since the epoch). */
  timestamp: number | undefined;
  retryAfterMs: number | undefined;
}

/** Results are written in groups this large, or after this long, so a crash re-sends little. */
const FLUSH_SIZE = 256;
const FLUSH_AFTER_MS = 20;

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
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
  ) {}

  /** Claims whichever of these requests are still unclaimed (or whose lease ran out) and sends them. */
  async sendBatch(requestIds: readonly string[]): Promise<void> {
    const free = requestIds.filter((id) => !this.inFlight.has(id));
    if (!free.length) return;
    const claimedAt = new Date();
    const claimed = await this.dataSource.transaction(async (tx) => {
      await preferIndexLookups(tx);
      return rowsOf<Claimed>(await tx.query(
        `UPDATE push_requests p
            SET status = 'sending', lease_owner = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000)
           FROM devices d LEFT JOIN apns_certificates c ON c.topic = d.topic
          WHERE p.id = ANY($1::bigint[]) AND d.id = p.device_id
            AND (p.status = 'pending' OR (p.status = 'sending' AND p.lease_until < now()))
          RETURNING p.id::text AS id, p.device_id, p.attempt, d.udid, d.enrolled, d.topic, d.push_token, d.push_magic, d.token_invalid_at,
                    c.fingerprint AS certificate_fingerprint, p.correlation_id`,
        [free, this.owner, this.config.PUSH_LEASE_MS],
      ));
    });
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
   * Extends the lease of these requests every third of PUSH_LEASE_MS until stopped. Rows whose outcome
   * is written (lease_until cleared) or that another worker took are left alone by the same condition
   * the outcome write uses; rows an outcome write holds right now are skipped, not waited for, so the two
   * never deadlock. A failed renewal is logged; the next one tries again.
   */
  private renewLeases(ids: readonly string[]): { stop(): Promise<void> } {
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal
        .then(async () => {
          await this.dataSource.query(
            `UPDATE push_requests SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
              WHERE id IN (SELECT id FROM push_requests
                            WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND lease_until IS NOT NULL
                              FOR UPDATE SKIP LOCKED)`,
            [ids, this.owner, this.config.PUSH_LEASE_MS],
          );
        })
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
  private async send(claimed: Claimed[], claimedAt: Date): Promise<void> {
    const flusher = new Flusher((done) => this.record(done, claimedAt));
    const expiration = Math.floor(Date.now() / 1000) + this.config.APNS_PUSH_TTL_SECONDS;
    const topics = new Map<string, TopicLookup>();
    const sends: Promise<void>[] = [];
    let sent = 0;
    for (const req of claimed) {
      const skip = unpushable(req);
      if (skip !== undefined) {
        flusher.add({ req, outcome: 'skipped', reason: skip, apnsId: null, timestamp: undefined, retryAfterMs: undefined });
        continue;
      }
      const topic = req.topic as string;
      let lookup = topics.get(topic);
      if (lookup === undefined) {
        // The claim read the stored certificate: a client loaded before a replacement is never used.
        lookup = await this.clients.forTopic(topic, req.certificate_fingerprint);
        topics.set(topic, lookup);
      }
      if (lookup.kind !== 'ready') {
        flusher.add({ req, outcome: 'certificate-error', reason: lookup.reason, apnsId: null, timestamp: undefined, retryAfterMs: undefined });
        continue;
      }
      const started = Date.now();
      sends.push(
        lookup.client
          .send({ token: req.push_token as string, topic, pushMagic: req.push_magic as string, expiration })
          .then((result: PushResult) => {
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
    const correlationIds = [...new Set(claimed.map((r) => r.correlation_id).filter((id): id is string => id !== null))];
    this.logger.log({ msg: `push batch: ${sent} of ${claimed.length} sent`, requests: claimed.length, sent, correlationIds: correlationIds.slice(0, LOGGED_CORRELATION_IDS) });
  }

  /**
   * Writes one group of outcomes in one transaction: the requests, the devices' push columns, dead tokens,
   * events, and the next attempt of retryable pushes. Rows whose lease this worker lost are left alone.
   */
  private async record(done: Done[], claimedAt: Date): Promise<void> {
    const at = new Date();
    const retries: Array<{ ids: string[]; delay: number }> = [];
    await this.dataSource.transaction(async (tx) => {
      await preferIndexLookups(tx);
      // "Still ours" is lease_owner = us with a lease: only the claim sets lease_until (with status
      // 'sending'), only this write clears it. Not spelt `status = 'sending'`, which would let the planner
      // walk push_requests_leased (every row being sent, by all workers) once per outcome.
      const ours = rowsOf<{ id: string }>(await tx.query(
        `UPDATE push_requests p
            SET status = x.status, outcome = x.outcome, outcome_reason = x.reason, apns_id = x.apns_id,
                completed_at = $6, lease_until = NULL
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(id, status, outcome, reason, apns_id)
          WHERE p.id = x.id AND p.lease_owner = $7 AND p.lease_until IS NOT NULL
          RETURNING p.id::text AS id`,
        [
          done.map((d) => d.req.id),
          done.map((d) => statusOf(d.outcome)),
          done.map((d) => d.outcome),
          done.map((d) => d.reason),
          done.map((d) => d.apnsId),
          at,
          this.owner,
        ],
      ));
      const mine = new Set(ours.map((r) => r.id));
      const kept = mine.size === done.length ? done : done.filter((d) => mine.has(d.req.id));
      if (kept.length < done.length) this.logger.warn(`${done.length - kept.length} push requests were re-claimed after this worker's lease ran out`);

      const attempted = kept.filter((d) => d.outcome !== 'skipped');
      if (attempted.length) {
        await tx.query(
          `UPDATE devices d SET last_push_at = $3, last_push_outcome = x.label
             FROM unnest($1::uuid[], $2::text[]) AS x(id, label) WHERE d.id = x.id`,
          [attempted.map((d) => d.req.device_id), attempted.map((d) => (d.reason ? `${d.outcome}: ${d.reason}` : d.outcome)), at],
        );
      }
      const dead = attempted.filter((d) => d.outcome === 'dead-token');
      if (dead.length) {
        // Only the token APNs judged: a TokenUpdate that arrived meanwhile brought a new one.
        await tx.query(
          `UPDATE devices d SET token_invalid_at = x.at, token_invalid_reason = x.reason
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS x(id, token, at, reason)
            WHERE d.id = x.id AND d.push_token = x.token`,
          [
            dead.map((d) => d.req.device_id),
            dead.map((d) => d.req.push_token),
            dead.map((d) => (d.timestamp !== undefined ? new Date(d.timestamp) : at)),
            dead.map((d) => d.reason ?? 'dead token'),
          ],
        );
      }
      const events: MdmEvent[] = [];
      for (const d of attempted) {
        if (d.outcome === 'sent') {
          const data = { udid: d.req.udid, deviceId: d.req.device_id, queuedBefore: claimedAt.toISOString() };
          events.push({ type: 'push.sent', data: d.apnsId ? { ...data, apnsId: d.apnsId } : data });
        } else if (d.outcome !== 'skipped') {
          events.push({ type: 'push.failed', data: d.reason ? { udid: d.req.udid, deviceId: d.req.device_id, outcome: d.outcome, reason: d.reason } : { udid: d.req.udid, deviceId: d.req.device_id, outcome: d.outcome } });
        }
      }
      await recordEventsBulk(tx, events, at);
      retries.push(...(await this.scheduleRetries(tx, attempted.filter((d) => d.outcome === 'retryable'))));
    });

    for (const d of done) this.metrics.outcome(d.outcome);
    for (const r of retries) await this.producer.enqueueBulk(pushBatchJobs(r.ids, this.config.PUSH_BATCH_SIZE), { delay: r.delay });
    const failed = done.filter((d) => d.outcome !== 'sent');
    if (failed.length) {
      const first = failed[0]!;
      this.logger.warn(`${failed.length} of ${done.length} pushes not sent (${first.outcome}: ${first.reason ?? ''})`);
    }
  }

  /**
   * The next attempt of each retryable push, as a new request delayed with backoff and jitter. Those at
   * the attempt limit stay failed (a later command or the silent-device sweep pushes again).
   */
  private async scheduleRetries(tx: EntityManager, retryable: Done[]): Promise<Array<{ ids: string[]; delay: number }>> {
    const byAttempt = new Map<number, Done[]>();
    for (const d of retryable) {
      if (d.req.attempt >= this.config.PUSH_RETRY_LIMIT) continue;
      const list = byAttempt.get(d.req.attempt);
      if (list) list.push(d);
      else byAttempt.set(d.req.attempt, [d]);
    }
    const scheduled: Array<{ ids: string[]; delay: number }> = [];
    for (const [attempt, list] of byAttempt) {
      const retryAfter = Math.max(0, ...list.map((d) => d.retryAfterMs ?? 0));
      const delay = Math.max(retryAfter, retryDelayMs(attempt, this.config.PUSH_RETRY_BASE_MS, this.config.PUSH_RETRY_MAX_MS));
      const ids = await insertPushRequests(tx, list.map((d) => d.req.device_id), 'retry', delay, attempt + 1);
      if (ids.length) scheduled.push({ ids, delay });
    }
    return scheduled;
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

  /** Requests nobody is working on: pending past their time (a lost job) or leased by a worker that died. */
  async sweep(): Promise<number> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id::text AS id FROM push_requests
        WHERE (status = 'pending' AND not_before < now() - make_interval(secs => $1::double precision / 1000))
           OR (status = 'sending' AND lease_until < now())
        ORDER BY id LIMIT $2`,
      [this.config.PUSH_LEASE_MS, this.config.PUSH_BATCH_SIZE * 8],
    );
    if (rows.length) {
      await this.producer.enqueueBulk(pushBatchJobs(rows.map((r) => r.id), this.config.PUSH_BATCH_SIZE));
      this.logger.warn(`sweep re-enqueued ${rows.length} push requests nobody was working on`);
    }
    if (this.config.PUSH_HISTORY_DAYS > 0) {
      await this.dataSource.query(
        `DELETE FROM push_requests WHERE id IN (
           SELECT id FROM push_requests WHERE status IN ('sent', 'failed', 'skipped')
              AND completed_at < now() - make_interval(days => $1::int) LIMIT 10000)`,
        [Math.ceil(this.config.PUSH_HISTORY_DAYS)],
      );
    }
    return rows.length;
  }
}

function statusOf(outcome: PushMetricOutcome): 'sent' | 'failed' | 'skipped' {
  switch (outcome) {
    case 'sent':
      return 'sent';
    case 'skipped':
      return 'skipped';
    case 'dead-token':
    case 'certificate-error':
    case 'retryable':
    case 'failed':
      return 'failed';
  }
}

/** Why a device cannot be pushed at all, checked again at send time (things change after the request). */
function unpushable(req: Claimed): string | undefined {
  if (!req.enrolled) return 'device is not enrolled';
  if (!req.push_token || !req.push_magic || !req.topic) return 'device has no push token';
  if (req.token_invalid_at) return 'push token is dead until the next TokenUpdate';
  return undefined;
}

/** Collects results and writes them in groups, one write at a time, in arrival order. */
class Flusher {
  private buffer: Done[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private error: unknown;

  constructor(private readonly write: (done: Done[]) => Promise<void>) {}

  add(done: Done): void {
    this.buffer.push(done);
    if (this.buffer.length >= FLUSH_SIZE) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.buffer.length) return;
    const group = this.buffer;
    this.buffer = [];
    this.chain = this.chain.then(() => this.write(group)).catch((err: unknown) => {
      this.error ??= err;
    });
  }

  /** Writes what is left; throws the first write error so the job is retried (its rows are re-claimable). */
  async close(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.error !== undefined) throw this.error;
  }
}
