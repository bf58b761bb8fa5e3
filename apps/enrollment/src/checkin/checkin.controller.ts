import { Controller, Headers, HttpCode, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { verifiedDeviceCert } from '@mdm/service-kit';
import { CheckinService } from './checkin.service';

/** Internal: the gateway forwards verified check-in requests here, body untouched. */
@Controller('internal/checkin')
export class CheckinController {
  constructor(private readonly checkin: CheckinService) {}

  @Put()
  @HttpCode(200)
  handle(@Req() req: Request, @Headers() headers: Record<string, string>): Promise<string> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.checkin.handle(body, verifiedDeviceCert(headers));
  }
}
