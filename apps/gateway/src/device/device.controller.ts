import { Controller, Headers, HttpException, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InternalHeader } from '@mdm/contracts';
import { Public } from '../admin/api-key.guard';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { UpstreamClient, type Upstream } from '../upstream/upstream.client';
import { DeviceAuthService } from './device-auth.service';

/** The device-facing endpoints (CheckInURL and ServerURL of the enrollment profile). */
@Controller('mdm')
@Public('devices authenticate every request with Mdm-Signature or their client certificate (DeviceAuthService)')
export class DeviceController {
  constructor(
    private readonly auth: DeviceAuthService,
    private readonly upstream: UpstreamClient,
    private readonly limiter: RateLimiter,
  ) {}

  @Put('checkin')
  checkin(@Req() req: Request, @Res() res: Response, @Headers() headers: Record<string, string>): Promise<void> {
    return this.relay('enrollment', '/internal/checkin', req, res, headers);
  }

  @Put('connect')
  connect(@Req() req: Request, @Res() res: Response, @Headers() headers: Record<string, string>): Promise<void> {
    return this.relay('command', '/internal/connect', req, res, headers);
  }

  private async relay(service: Upstream, path: string, req: Request, res: Response, headers: Record<string, string>): Promise<void> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length === 0) throw new HttpException('request body is empty: expected a property list', 400);
    const device = await this.auth.authenticate(headers, body, req.socket.remoteAddress);
    // Charged to the verified certificate, never to a UDID the body merely claims.
    if (!this.limiter.allowDevice(device.fingerprint, res)) return;
    const answer = await this.upstream.forward(service, 'PUT', path, {
      'content-type': headers['content-type'] ?? 'application/xml',
      [InternalHeader.CertFingerprint]: device.fingerprint,
      [InternalHeader.CertNotAfter]: device.notAfter.toISOString(),
    }, body);
    res.status(answer.status);
    // Successful answers are a command plist (or empty); errors keep the owner's JSON message.
    if (answer.status === 200) res.type(answer.body.length ? 'application/xml' : 'text/plain');
    else if (answer.contentType) res.type(answer.contentType);
    res.send(answer.body);
  }
}
