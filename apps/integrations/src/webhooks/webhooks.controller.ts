import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import {
  CreateWebhookRequest,
  ReplayWebhookRequest,
  UpdateWebhookRequest,
  type WebhookAttemptView,
  type WebhookDeliveryView,
  WebhookListQuery,
  type WebhookView,
} from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { DeliveryListQuery } from './webhook-queries';
import { WebhooksService } from './webhooks.service';

const Id = z.string().uuid('must be a webhook id');
const DeliveryId = z.string().uuid('must be a delivery id');

/** `/v1/webhooks`: reached through the gateway's admin API, which authenticates the operator and checks scopes. */
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<WebhookView> {
    return this.webhooks.create(parseOr400(CreateWebhookRequest, body));
  }

  @Get()
  list(@Query() query: unknown): ReturnType<WebhooksService['list']> {
    return this.webhooks.list(parseOr400(WebhookListQuery, query ?? {}, 'query'));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(parseOr400(Id, id, 'id'));
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    return this.webhooks.update(parseOr400(Id, id, 'id'), parseOr400(UpdateWebhookRequest, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.webhooks.remove(parseOr400(Id, id, 'id'));
  }

  @Get(':id/deliveries')
  deliveries(@Param('id') id: string, @Query() query: unknown): ReturnType<WebhooksService['deliveries']> {
    return this.webhooks.deliveries(parseOr400(Id, id, 'id'), parseOr400(DeliveryListQuery, query ?? {}, 'query'));
  }

  @Get(':id/deliveries/:deliveryId')
  delivery(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<WebhookDeliveryView & { attemptLog: WebhookAttemptView[] }> {
    return this.webhooks.delivery(parseOr400(Id, id, 'id'), parseOr400(DeliveryId, deliveryId, 'deliveryId'));
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(200)
  retry(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<WebhookDeliveryView> {
    return this.webhooks.retry(parseOr400(Id, id, 'id'), parseOr400(DeliveryId, deliveryId, 'deliveryId'));
  }

  @Post(':id/replay')
  @HttpCode(202)
  replay(@Param('id') id: string, @Body() body: unknown): Promise<{ queued: number; truncated: boolean }> {
    return this.webhooks.replay(parseOr400(Id, id, 'id'), parseOr400(ReplayWebhookRequest, body));
  }
}
