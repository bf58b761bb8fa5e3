import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { PushDevicesRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { PushRequestsService, type PushDevicesView } from './push-requests.service';

/** Pushes on demand; the push worker has no HTTP API, and this service owns the device queues. */
@Controller('v1')
export class PushController {
  constructor(private readonly pushes: PushRequestsService) {}

  @Post('push')
  @HttpCode(202)
  push(@Body() body: unknown): Promise<PushDevicesView> {
    return this.pushes.pushDevices(parseOr400(PushDevicesRequest, body).udids);
  }
}
