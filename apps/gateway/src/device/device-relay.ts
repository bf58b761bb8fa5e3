import { HttpException, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InternalHeader } from '@mdm/contracts';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { UpstreamClient, type Upstream } from '../upstream/upstream.client';
import { DeviceAuthService } from './device-auth.service';

/** The device-facing endpoints (CheckInURL and ServerURL of the enrollment profile) and where each goes. */
export const DEVICE_ROUTES: Readonly<Record<string, { service: Upstream; path: string }>> = {
  '/mdm/checkin': { service: 'enrollment', path: '/internal/checkin' },
  '/mdm/connect': { service: 'command', path: '/internal/connect' },
};

/**
 * Serves the device endpoints as plain Express handlers, registered before Nest's router: every device
 * request pays for authentication and one hop, not for guards, pipes and the controller machinery.
 * Public by design: devices authenticate every request with Mdm-Signature or their client certificate.
 * Errors answer as Nest's do (`{ statusCode, message, error }`).
 */
@Injectable()
export class DeviceRelay {
  private readonly logger = new Logger(DeviceRelay.name);

  constructor(
    private readonly auth: DeviceAuthService,
    private readonly upstream: UpstreamClient,
    private readonly limiter: RateLimiter,
  ) {}

  /** Express handler for one of DEVICE_ROUTES. */
  handler(route: keyof typeof DEVICE_ROUTES): (req: Request, res: Response) => void {
    const { service, path } = DEVICE_ROUTES[route];
    return (req, res) => {
      this.relay(service, path, req, res).catch((err: unknown) => this.fail(res, err));
    };
  }

  private async relay(service: Upstream, path: string, req: Request, res: Response): Promise<void> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.length === 0) throw new HttpException('request body is empty: expected a property list', 400);
    const device = await this.auth.authenticate(req.headers, body, req.socket.remoteAddress);
    // Charged to the verified certificate, never to a UDID the body merely claims.
    if (!this.limiter.allowDevice(device.fingerprint, res)) return;
    const contentType = req.headers['content-type'];
    const answer = await this.upstream.forward(service, 'PUT', path, {
      'content-type': contentType ?? 'application/xml',
      [InternalHeader.CertFingerprint]: device.fingerprint,
      [InternalHeader.CertNotAfter]: device.notAfterIso,
    }, body);
    res.status(answer.status);
    // Successful answers are a command plist (or empty); errors keep the owner's JSON message.
    if (answer.status === 200) res.setHeader('content-type', answer.body.length ? 'application/xml' : 'text/plain');
    else if (answer.contentType) res.setHeader('content-type', answer.contentType);
    res.end(answer.body);
  }

  private fail(res: Response, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpException) {
      const answer = err.getResponse();
      res.status(err.getStatus()).json(typeof answer === 'string' ? { statusCode: err.getStatus(), message: answer } : answer);
      return;
    }
    this.logger.error({ err }, 'device request failed');
    res.status(500).json({ statusCode: 500, message: 'Internal server error' });
  }
}
