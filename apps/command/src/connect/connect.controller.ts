import { Controller, Headers, HttpCode, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { verifiedDeviceCert } from '@mdm/service-kit';
import { ConnectService } from './connect.service';

/** Internal: the gateway forwards verified connect requests here, body untouched. */
@Controller('internal/connect')
export class ConnectController {
  constructor(private readonly connect: ConnectService) {}

  @Put()
  @HttpCode(200)
  handle(@Req() req: Request, @Headers() headers: Record<string, string>): Promise<string> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.connect.handle(body, verifiedDeviceCert(headers));
  }
}
