import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobProducer, OnJob } from '@mdm/messaging';
import { CommandDeliveriesStore, CommandDevicesStore } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { PushRequestsService } from '../push/push-requests.service';

/** Rows per statement: bounded transactions even when a million commands expire at once. */
const CHUNK = 5000;
/** Silent devices pushed again per tick. */
const SILENT_BATCH = 100_000;

/**
 * Periodic work of the command service, on BullMQ job schedulers: each tick is one job on the command
 * queue, so it runs on one replica however many there are.
 */
@Injectable()
export class CommandSweepsProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(CommandSweepsProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: JobProducer,
    private readonly pushes: PushRequestsService,
    @Inject(COMMAND_CONFIG) private readonly config: CommandConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.schedule('command-expiry-sweep', this.config.EXPIRY_SWEEP_INTERVAL_MS, { name: 'command.expiry-sweep', data: {} });
    await this.producer.schedule('command-silent-sweep', this.config.SILENT_SWEEP_INTERVAL_MS, { name: 'command.silent-sweep', data: {} });
  }

  /** Commands past their expiresAt become EXPIRED without waiting for the device to connect. */
  @OnJob('command.expiry-sweep')
  async expire(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await CommandDeliveriesStore.expireDue(this.dataSource, CHUNK);
      total += expired;
      if (expired < CHUNK) break;
    }
    if (total) this.logger.log(`${total} command deliveries expired`);
    return total;
  }

  /**
   * Devices that have work waiting but have not connected for SILENT_DEVICE_SECONDS (a push lost, the
   * device off for a while) are pushed again, at most once per that period each.
   */
  @OnJob('command.silent-sweep')
  async repushSilent(): Promise<number> {
    const planned = await this.dataSource.transaction(async (tx) => {
      const silent = await CommandDevicesStore.silentWithOpenCommands(tx, this.config.SILENT_DEVICE_SECONDS, SILENT_BATCH);
      return this.pushes.request(tx, silent, 'sweep', 0);
    });
    await this.pushes.dispatch(planned);
    if (planned.ids.length) this.logger.log(`re-pushing ${planned.ids.length} silent devices with pending commands`);
    return planned.ids.length;
  }
}
