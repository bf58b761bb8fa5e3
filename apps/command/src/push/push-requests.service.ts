import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { pushBatchJobs, type PushDevicesView } from '@mdm/contracts';
import { JobProducer } from '@mdm/messaging';
import { DevicePushStatusStore, insertPushRequests, type PushRequestReason, unpushableReason } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';

/**
 * Push requests from this service: rows in push_requests written in the caller's transaction, and
 * push.batch jobs (only row ids) enqueued after it commits. A job lost in between is found by the
 * push workers' sweep, so the push is late, never lost.
 */
@Injectable()
export class PushRequestsService {
  private readonly logger = new Logger(PushRequestsService.name);

  constructor(
    private readonly producer: JobProducer,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {}

  /** Inside the transaction: the requests. Returns what `dispatch` needs after the commit. */
  async request(tx: EntityManager, deviceIds: readonly string[], reason: PushRequestReason, delayMs = this.config.PUSH_COALESCE_MS): Promise<{ ids: string[]; delayMs: number }> {
    return { ids: await insertPushRequests(tx, deviceIds, reason, delayMs), delayMs };
  }

  /** After the commit: one job per batch, due when the requests are (the end of the coalescing window). */
  async dispatch(planned: { ids: string[]; delayMs: number }): Promise<void> {
    if (!planned.ids.length) return;
    await this.producer.enqueueBulk(pushBatchJobs(planned.ids, this.config.PUSH_BATCH_SIZE), planned.delayMs > 0 ? { delay: planned.delayMs } : {});
  }

  /** For latency-sensitive callers: enqueue without waiting; the sweep covers a failure. */
  dispatchLater(planned: { ids: string[]; delayMs: number }): void {
    this.dispatch(planned).catch((err: Error) => this.logger.warn(`enqueueing ${planned.ids.length} push requests failed (the sweep will send them): ${err.message}`));
  }

  /**
   * POST /v1/push, in the caller's transaction: every named device must exist (404) and be enrolled (409);
   * dead tokens are reported, not pushed. Returns the answer and what `dispatch` needs after the commit.
   */
  async planPushes(tx: EntityManager, udids: readonly string[]): Promise<PushDevicesView & { planned: { ids: string[]; delayMs: number } }> {
    const unique = [...new Set(udids)];
    const found = await DevicePushStatusStore.pushFactsByUdid(tx, unique);
    if (found.length < unique.length) {
      const known = new Set(found.map((d) => d.udid));
      const unknown = unique.filter((u) => !known.has(u));
      throw new NotFoundException(`unknown device(s): ${unknown.slice(0, 20).join(', ')}`);
    }
    const unenrolled = found.filter((d) => !d.enrolled).map((d) => d.udid);
    if (unenrolled.length) throw new ConflictException(`device(s) not enrolled: ${unenrolled.slice(0, 20).join(', ')}`);
    const skipped: PushDevicesView['skipped'] = [];
    const ok: string[] = [];
    for (const d of found) {
      const reason = unpushableReason(d);
      if (reason !== null) skipped.push({ udid: d.udid, reason });
      else ok.push(d.id);
    }
    return { pushed: ok.length, skipped, planned: await this.request(tx, ok, 'manual', 0) };
  }
}
