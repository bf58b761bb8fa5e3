import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, NotFoundException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DeviceFactsStore, DeviceProfilesStore, type PlannedProfileCommand, ProfileCommandsStore, type ProfileCommandRequest } from '@mdm/persistence';
import { PROFILE_CONFIG, type ProfileConfig } from '../profile.config';
import { ProfilesService } from '../profiles/profiles.service';
import { ReconcilerService } from './reconciler.service';

/** Rows handed over per pass; each is one POST to the command service. */
const BATCH = 20;

/**
 * Hands the commands the reconciler planned (`profile_commands`) to the command service's public
 * API, after the transaction that planned them committed. The row's id is the Idempotency-Key, so a
 * crash between the POST and recording its answer re-sends the same request and gets the same command
 * back: nothing is queued twice, nothing planned is lost. Replicas share the work with SKIP LOCKED.
 */
@Injectable()
export class ProfileCommandsSubmitter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProfileCommandsSubmitter.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly profiles: ProfilesService,
    private readonly reconciler: ReconcilerService,
    @Inject(PROFILE_CONFIG) private readonly config: ProfileConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.PROFILE_SUBMIT_INTERVAL_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Submits now (after a commit that planned commands) rather than at the next tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error(`submitting profile commands failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Submits until nothing is waiting; answers how many rows were handled. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      await this.db.transaction((tx) => this.prepareBatch(tx));
      const n = await this.db.transaction((tx) => this.submitBatch(tx));
      total += n;
      if (n < BATCH) return total;
    }
  }

  /**
   * Builds and stores each request body in its own committed step before any POST: a signed profile
   * carries its signing time, so building it again after a crash would not match the first attempt. The
   * command's UUID is chosen here and stored with it: a crash after the command service queued the
   * command but before this service recorded the answer must not leave the command's results (which the
   * event feed may hand over before the retried POST) unmatched to this row.
   */
  private async prepareBatch(tx: EntityManager): Promise<void> {
    for (const row of await ProfileCommandsStore.claimUnprepared(tx, BATCH)) {
      const command = await this.command(tx, row);
      if (command) await ProfileCommandsStore.prepare(tx, row.id, { udids: row.udids, command, commandUuid: randomUUID() });
    }
  }

  private async submitBatch(tx: EntityManager): Promise<number> {
    const rows = await ProfileCommandsStore.claimPrepared(tx, BATCH);
    for (const row of rows) {
      try {
        await this.submit(tx, row.id, row.request);
      } catch (err) {
        // The command service is down or restarting: leave the rest for the next pass.
        await ProfileCommandsStore.attemptFailed(tx, row.id, (err as Error).message);
        this.logger.warn(`profile command ${row.id} not submitted yet: ${(err as Error).message}`);
        return 0;
      }
    }
    return rows.length;
  }

  /** The command to send, or undefined when the row was abandoned. */
  private async command(tx: EntityManager, row: PlannedProfileCommand): Promise<Record<string, unknown> | undefined> {
    if (row.action === 'remove') return { RequestType: 'RemoveProfile', Identifier: row.identifier! };
    if (row.action === 'list') return { RequestType: 'ProfileList' };
    try {
      const file = await this.profiles.mobileconfig(row.profileId!, { version: row.version! });
      return { RequestType: 'InstallProfile', Payload: { $data: file.body.toString('base64') } };
    } catch (err) {
      if (!(err instanceof NotFoundException)) throw err;
      await this.abandon(tx, row.id, `profile deleted before it was sent: ${err.message}`);
      return undefined;
    }
  }

  private async submit(tx: EntityManager, id: string, request: ProfileCommandRequest): Promise<void> {
    // A device that checked out since the plan can't take commands; its check-out reset its rows.
    if ((await DeviceFactsStore.countEnrolled(tx, request.udids)) < request.udids.length) {
      return this.replan(tx, id, 'a device of this command checked out before it was sent');
    }
    const res = await fetch(`${this.config.COMMAND_SERVICE_URL}/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `profile-command-${id}` },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 500 || res.status === 409 || res.status === 429) throw new Error(`command service answered ${res.status}: ${text.slice(0, 300)}`);
    if (!res.ok) return this.abandon(tx, id, `command service refused the ${String(request.command['RequestType'])}: ${res.status} ${text.slice(0, 300)}`);
    const { commandUuid } = JSON.parse(text) as { commandUuid: string };
    await ProfileCommandsStore.submitted(tx, id, commandUuid);
  }

  /** Drops a planned command that can no longer go out as planned, and plans its devices afresh. */
  private async replan(tx: EntityManager, id: string, reason: string): Promise<void> {
    this.logger.log(`profile command ${id} replanned: ${reason}`);
    await ProfileCommandsStore.close(tx, id, reason);
    await this.lockRowsOf(tx, id);
    await this.reconciler.reconcile(tx, await DeviceProfilesStore.release(tx, id));
  }

  /** The devices whose rows wait on this command, locked as every writer of profile state does. */
  private async lockRowsOf(tx: EntityManager, id: string): Promise<void> {
    await this.reconciler.lockDevices(tx, await DeviceProfilesStore.devicesAwaiting(tx, id));
  }

  /** Gives up on a planned command: its rows fail with the reason, so the operator sees why. */
  private async abandon(tx: EntityManager, id: string, reason: string): Promise<void> {
    this.logger.warn(`profile command ${id} abandoned: ${reason}`);
    await ProfileCommandsStore.close(tx, id, reason);
    await this.lockRowsOf(tx, id);
    await DeviceProfilesStore.failAwaiting(tx, id, reason);
  }
}
