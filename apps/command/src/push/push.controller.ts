import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { PushDevicesRequest, type PushDevicesView } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { PushRequestsService } from './push-requests.service';

/** Pushes on demand; the push worker has no HTTP API, and this service owns the device queues. */
@Controller('v1')
export class PushController {
  constructor(
    private readonly pushes: PushRequestsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('push')
  @HttpCode(202)
  async push(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined): Promise<PushDevicesView> {
    const udids = parseOr400(PushDevicesRequest, body).udids;
    const once = await this.idempotency.run('POST /v1/push', key, body, (tx) => this.pushes.planPushes(tx, udids));
    // A replay does not enqueue again: the first request did, or the push sweep sends what it left.
    if (!once.replayed) await this.pushes.dispatch(once.value.planned);
    return { pushed: once.value.pushed, skipped: once.value.skipped };
  }
}
