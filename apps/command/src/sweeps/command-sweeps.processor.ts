import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommandStatus, OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import { JobProducer, OnJob } from '@mdm/messaging';
import { lastPushAtSql, pushableDeviceSql, rowsOf } from '@mdm/persistence';
import { COMMAND_CONFIG, type CommandConfig } from '../command.config';
import { PushRequestsService } from '../push/push-requests.service';

/** Rows per statement: bounded transactions even when a million commands expire at once. */
const CHUNK = 5000;

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
      const rows = rowsOf<{ id: string }>(await this.dataSource.query(
        `UPDATE command_deliveries SET status = $2, status_reason = 'expired before delivery', completed_at = now(), updated_at = now()
          WHERE id IN (
            SELECT d.id FROM commands c JOIN command_deliveries d ON d.command_uuid = c.command_uuid
             WHERE c.expires_at IS NOT NULL AND c.expires_at <= now() AND d.status = ANY($1)
             LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
          RETURNING id`,
        [OPEN_COMMAND_STATUSES, CommandStatus.Expired, CHUNK],
      ));
      total += rows.length;
      if (rows.length < CHUNK) break;
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
      const rows: Array<{ id: string }> = await tx.query(
        `SELECT d.id FROM devices d
          WHERE ${pushableDeviceSql('d')}
            AND COALESCE(d.last_seen_at, d.enrolled_at, '-infinity') < now() - make_interval(secs => $1)
            AND ${lastPushAtSql('d')} < now() - make_interval(secs => $1)
            AND EXISTS (SELECT 1 FROM command_deliveries q WHERE q.device_id = d.id AND q.status = ANY($2))
          LIMIT 100000`,
        [this.config.SILENT_DEVICE_SECONDS, OPEN_COMMAND_STATUSES],
      );
      return this.pushes.request(tx, rows.map((r) => r.id), 'sweep', 0);
    });
    await this.pushes.dispatch(planned);
    if (planned.ids.length) this.logger.log(`re-pushing ${planned.ids.length} silent devices with pending commands`);
    return planned.ids.length;
  }
}
