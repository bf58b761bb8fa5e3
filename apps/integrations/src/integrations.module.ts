import { type DynamicModule, Module } from '@nestjs/common';
import { SecretBox } from '@mdm/pki';
import { InfrastructureModule } from '@mdm/service-kit';
import { DeliveryWorker } from './delivery/delivery-worker.service';
import { WebhookFanOut } from './delivery/fan-out.service';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from './integrations.config';
import { IntegrationsMetrics } from './metrics/integrations-metrics.service';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

/**
 * Integrations: signed webhooks. The fan-out turns the event feed into deliveries, the delivery workers send
 * them (Postgres is the queue), and `/v1/webhooks` manages subscriptions, deliveries, retries and replays.
 */
@Module({})
export class IntegrationsModule {
  static forRoot(config: IntegrationsConfig): DynamicModule {
    return {
      module: IntegrationsModule,
      imports: [InfrastructureModule.forRoot(config, { feed: { intervalMs: config.WEBHOOK_FEED_INTERVAL_MS, limit: config.WEBHOOK_FEED_BATCH } })],
      controllers: [WebhooksController],
      providers: [
        { provide: INTEGRATIONS_CONFIG, useValue: config },
        { provide: SecretBox, useValue: SecretBox.fromKey(config.MDM_SECRET_KEY) },
        IntegrationsMetrics,
        WebhooksService,
        WebhookFanOut,
        DeliveryWorker,
      ],
    };
  }
}
