import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { CancelCommandRequest, Udid } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { DeviceQueueService } from './device-queue.service';

@Controller('v1')
export class DeviceQueueController {
  constructor(private readonly queue: DeviceQueueService) {}

  @Get('devices/:udid/queue')
  pending(@Param('udid') udid: string): ReturnType<DeviceQueueService['pending']> {
    return this.queue.pending(parseOr400(Udid, udid, 'udid'));
  }

  @Delete('devices/:udid/queue')
  clear(@Param('udid') udid: string): ReturnType<DeviceQueueService['clear']> {
    return this.queue.clear(parseOr400(Udid, udid, 'udid'));
  }

  @Post('commands/:uuid/cancel')
  @HttpCode(200)
  cancel(@Param('uuid') uuid: string, @Body() body: unknown): ReturnType<DeviceQueueService['cancel']> {
    const req = parseOr400(CancelCommandRequest, body ?? {});
    return this.queue.cancel(parseOr400(z.string().uuid('must be a command UUID'), uuid, 'commandUuid'), req.udids);
  }
}
