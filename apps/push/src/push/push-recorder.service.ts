import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type MdmEvent, pushBatchJobs } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import {
  type ClaimedPush,
  DevicePushStatusStore,
  insertPushRequests,
  preferIndexLookups,
  PushClaimsStore,
  type PushRequestOutcome,
  recordEventsBulk,
  type Sql,
} from '@mdm/persistence';
import { retryDelayMs } from '@mdm/service-kit';
import { PushMetrics, type PushMetricOutcome } from '../metrics/push-metrics.service';
import { PUSH_CONFIG, type PushConfig } from '../push.config';

/** One finished request, waiting to be written with the others of its flush. */
export interface Done {
  req: ClaimedPush;
  outcome: PushMetricOutcome;
  reason: string | null;
  apnsId: string | null;
  /** 410: when APNs learnt the token was dead (ms since the epoch). */
  timestamp: number | undefined;
  retryAfterMs: number | undefined;
}

/**
 * Writes the outcomes of a worker's pushes, a group at a time, in one transaction per group: the requests,
 * the devices' push status, dead tokens, events, and the next attempt of retryable pushes. Rows whose lease
 * the worker lost are left alone.
 */
@Injectable()
export class PushRecorder {
  private readonly logger = new Logger(PushRecorder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    private readonly metrics: PushMetrics,
    @Inject(PUSH_CONFIG) private readonly config: PushConfig,
  ) {}

  /**
   * Returns the requests a command coalesced into while they were sent: still pending, released from the
   * lease, each to be pushed once more after `delayMs` (the caller enqueues them once it no longer holds them).
   */
  async record(owner: string, done: Done[], claimedAt: Date): Promise<Array<{ id: string; delayMs: number }>> {
    const at = new Date();
    const { retries, released } = await this.dataSource.transaction(async (tx) => {
      await preferIndexLookups(tx);
      const { written: mine, released } = await PushClaimsStore.complete(tx, owner, done.map(outcomeOf), at);
      const kept = mine.size === done.length ? done : done.filter((d) => mine.has(d.req.id));
      if (kept.length < done.length) this.logger.warn(`${done.length - kept.length} push requests were re-claimed after this worker's lease ran out`);

      const attempted = kept.filter((d) => d.outcome !== 'skipped');
      await DevicePushStatusStore.recordAttempts(tx, attempted.map((d) => ({ deviceId: d.req.deviceId, outcome: d.reason ? `${d.outcome}: ${d.reason}` : d.outcome })), at);
      // Recorded with the TokenUpdate that brought the token: a newer one makes the device pushable again.
      await DevicePushStatusStore.recordDeadTokens(
        tx,
        attempted
          .filter((d) => d.outcome === 'dead-token' && d.req.pushToken !== null)
          .map((d) => ({
            deviceId: d.req.deviceId,
            token: d.req.pushToken as string,
            enrollmentId: d.req.enrollmentId,
            tokenUpdateCount: d.req.tokenUpdateCount,
            at: d.timestamp !== undefined ? new Date(d.timestamp) : at,
            reason: d.reason ?? 'dead token',
          })),
      );
      await recordEventsBulk(tx, eventsOf(attempted, claimedAt), at);
      return { retries: await this.scheduleRetries(tx, attempted.filter((d) => d.outcome === 'retryable')), released };
    });

    this.metrics.outcomes(done.map((d) => d.outcome));
    for (const r of retries) await this.producer.enqueueBulk(pushBatchJobs(r.ids, this.config.PUSH_BATCH_SIZE), { delay: r.delay });
    const failed = done.filter((d) => d.outcome !== 'sent');
    if (failed.length) {
      const first = failed[0]!;
      this.logger.warn(`${failed.length} of ${done.length} pushes not sent (${first.outcome}: ${first.reason ?? ''})`);
    }
    return released;
  }

  /**
   * The next attempt of each retryable push, as a new request delayed with backoff and jitter. Those at
   * the attempt limit stay failed (a later command or the silent-device sweep pushes again).
   */
  private async scheduleRetries(tx: Sql, retryable: Done[]): Promise<Array<{ ids: string[]; delay: number }>> {
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
      const ids = await insertPushRequests(tx, list.map((d) => d.req.deviceId), 'retry', delay, attempt + 1);
      if (ids.length) scheduled.push({ ids, delay });
    }
    return scheduled;
  }
}

function outcomeOf(d: Done): PushRequestOutcome {
  return { id: d.req.id, status: statusOf(d.outcome), outcome: d.outcome, reason: d.reason, apnsId: d.apnsId };
}

/**
 * One push.sent.v2 naming every device whose push APNs accepted, and a push.failed per device it refused
 * (integrations act on each); skipped requests have none.
 */
function eventsOf(attempted: readonly Done[], claimedAt: Date): MdmEvent[] {
  const events: MdmEvent[] = [];
  const sent: Array<{ udid: string; deviceId: string }> = [];
  for (const d of attempted) {
    const { udid, deviceId } = d.req;
    if (d.outcome === 'sent') sent.push({ udid, deviceId });
    else if (d.outcome !== 'skipped') {
      events.push({ type: 'push.failed', data: d.reason ? { udid, deviceId, outcome: d.outcome, reason: d.reason } : { udid, deviceId, outcome: d.outcome } });
    }
  }
  if (sent.length) events.push({ type: 'push.sent.v2', data: { devices: sent, queuedBefore: claimedAt.toISOString() } });
  return events;
}

function statusOf(outcome: PushMetricOutcome): PushRequestOutcome['status'] {
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
