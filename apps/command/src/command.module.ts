import { type DynamicModule, Module } from '@nestjs/common';
import { FeedConsumer, Queue } from '@mdm/contracts';
import { InfrastructureModule } from '@mdm/service-kit';
import { IdempotencyService } from './idempotency/idempotency.service';
import { DeviceQueueController } from './queue/device-queue.controller';
import { DeviceQueueService } from './queue/device-queue.service';
import { EndedEnrollmentsConsumer } from './queue/ended-enrollments.consumer';
import { COMMAND_CONFIG, type CommandConfig } from './command.config';
import { CommandsController } from './commands/commands.controller';
import { CommandsService } from './commands/commands.service';
import { EnrollmentInventoryConsumer } from './commands/enrollment-inventory.consumer';
import { PushSentConsumer } from './commands/push-sent.consumer';
import { ConnectService } from './connect/connect.service';
import { PushController } from './push/push.controller';
import { PushRequestsService } from './push/push-requests.service';
import { CommandSweepsProcessor } from './sweeps/command-sweeps.processor';
import { InventoryController } from './inventory/inventory.controller';
import { InventoryRefreshService } from './inventory/inventory-refresh.service';
import { InventorySweepProcessor } from './inventory/inventory-sweep.processor';
import { InventoryViewService } from './inventory/inventory-view.service';

/** The per-device command queues, the connect channel, command results, push requests, device inventories and the NotNow/expiry/silent/inventory policies. */
@Module({})
export class CommandModule {
  static forRoot(config: CommandConfig): DynamicModule {
    return {
      module: CommandModule,
      imports: [
        InfrastructureModule.forRoot(config, {
          consume: [Queue.Command],
          produce: [Queue.Push, Queue.Enrollment],
          feed: { intervalMs: config.COMMAND_FEED_INTERVAL_MS, paused: config.MDM_ENROLL_INVENTORY ? [] : [FeedConsumer.CommandInventory] },
        }),
      ],
      controllers: [CommandsController, PushController, DeviceQueueController, InventoryController],
      providers: [
        { provide: COMMAND_CONFIG, useValue: config },
        DeviceQueueService,
        EndedEnrollmentsConsumer,
        IdempotencyService,
        CommandsService,
        ConnectService,
        PushSentConsumer,
        EnrollmentInventoryConsumer,
        PushRequestsService,
        CommandSweepsProcessor,
        InventoryRefreshService,
        InventoryViewService,
        InventorySweepProcessor,
      ],
    };
  }
}
