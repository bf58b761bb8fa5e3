import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InternalHeader } from '@mdm/contracts';
import { answerError, type FastRoute } from '@mdm/service-kit';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { UpstreamClient, type Upstream } from '../upstream/upstream.client';
import { DeviceAuthService } from './device-auth.service';

/** The device-facing endpoints (CheckInURL and ServerURL of the enrollment profile) and where each goes. */
export const DEVICE_ROUTES: Readonly<Record<string, { service: Upstream; path: string }>> = {
  '/mdm/checkin': { service: 'enrollment', path: '/internal/checkin' },
  '/mdm/connect': { service: 'command', path: '/internal/connect' },
};

/**
 * Serves the device endpoints. Public by design: devices authenticate every request with Mdm-Signature or
 * their client certificate. Served as fast routes ahead of Express and Nest (`serveFastRoutes`): every
 * device request pays for its rate limits, authentication and one hop, not for the framework's stack.
 */
@Injectable()
export class DeviceRelay {
  constructor(
    private readonly auth: DeviceAuthService,
    private readonly upstream: UpstreamClient,
    private readonly limiter: RateLimiter,
  ) {}

  /** The device endpoints as fast routes: the per-address limit before the body is read, as for Express. */
  fastRoutes(maxBodyBytes: number): FastRoute[] {
    return Object.entries(DEVICE_ROUTES).map(([path, { service, path: upstreamPath }]) => ({
      method: 'PUT',
      path,
      maxBodyBytes,
      admit: (req, res) => this.limiter.admitAddress(req, res),
      handle: (req, body, res) => this.relay(service, upstreamPath, req, body, res),
    }));
  }

  /**
   * The same endpoint as an Express handler (after the address limit and the raw body parser): the route
   * stays on the router, where the auth-surface check reads the public routes from.
   */
  expressHandler(route: string): (req: Request, res: Response) => void {
    const { service, path } = DEVICE_ROUTES[route];
    return (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      this.relay(service, path, req, body, res).catch((err: unknown) => answerError(res, err));
    };
  }

  private async relay(service: Upstream, path: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    if (body.length === 0) throw new HttpException('request body is empty: expected a property list', 400);
    const device = await this.auth.authenticate(req.headers, body, req.socket.remoteAddress);
    // Charged to the verified certificate, never to a UDID the body merely claims.
    if (!this.limiter.allowDevice(device.fingerprint, res)) return;
    const answer = await this.upstream.forward(service, 'PUT', path, {
      'content-type': req.headers['content-type'] ?? 'application/xml',
      [InternalHeader.CertFingerprint]: device.fingerprint,
      [InternalHeader.CertNotAfter]: device.notAfterIso,
    }, body);
    res.statusCode = answer.status;
    // Successful answers are a command plist (or empty); errors keep the owner's JSON message.
    if (answer.status === 200) res.setHeader('content-type', answer.body.length ? 'application/xml' : 'text/plain');
    else if (answer.contentType) res.setHeader('content-type', answer.contentType);
    res.setHeader('content-length', answer.body.length);
    res.end(answer.body);
  }
}
