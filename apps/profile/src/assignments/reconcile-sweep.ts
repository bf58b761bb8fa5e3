import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AssignmentsStore } from '@mdm/persistence';
import { PROFILE_CONFIG, type ProfileConfig } from '../profile.config';
import { AssignmentsService } from './assignments.service';

/**
 * Reconciles every device with profile state now and then: finishes a fleet-wide change a restart cut
 * short, and moves devices in and out of dynamic groups whose facts changed without an event we follow.
 */
@Injectable()
export class ReconcileSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcileSweep.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly assignments: AssignmentsService,
    @Inject(PROFILE_CONFIG) private readonly config: ProfileConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) => this.logger.error(`reconcile sweep failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.running = undefined));
    }, this.config.PROFILE_RECONCILE_SWEEP_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    await this.assignments.reconcileMany(await AssignmentsStore.devicesToSweep(this.db));
  }
}
