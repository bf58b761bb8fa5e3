import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobProducer, OnJob } from '@mdm/messaging';
import { InventoryStore } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { InventoryRefreshService } from './inventory-refresh.service';

/**
 * The scheduled refresh, on a BullMQ job scheduler: each tick is one job, so one replica sweeps however many
 * there are, and the schedule lives in Redis and Postgres (`refresh_requested_at`), so a restart loses nothing.
 * A device never refreshed counts from its enrollment.
 */
@Injectable()
export class InventorySweepProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(InventorySweepProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    private readonly refresh: InventoryRefreshService,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.INVENTORY_REFRESH_INTERVAL === 0) return;
    await this.producer.schedule('command-inventory-sweep', this.config.INVENTORY_SWEEP_INTERVAL_MS, { name: 'command.inventory-sweep', data: {} });
  }

  /** Queues a refresh for up to INVENTORY_SWEEP_BATCH devices due one; the rest wait for the next tick. */
  @OnJob('command.inventory-sweep')
  async sweep(): Promise<number> {
    if (this.config.INVENTORY_REFRESH_INTERVAL === 0) return 0;
    const due = await InventoryStore.dueForRefresh(this.dataSource, this.config.INVENTORY_REFRESH_INTERVAL, this.config.INVENTORY_SWEEP_BATCH);
    const result = await this.refresh.refreshDevices(due, 'schedule');
    if (due.length) this.logger.log(`scheduled inventory: ${result.queued.length} queued, ${result.skipped.length} still open`);
    return result.queued.length;
  }
}
