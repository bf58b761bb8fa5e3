import { All, Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../admin/api-key.guard';
import { relay, UpstreamClient } from '../upstream/upstream.client';

/**
 * What a device reaches before it has an identity: the enrollment profile and SCEP. Both are
 * unauthenticated by design (the one-time challenge in the profile is what SCEP checks); put
 * them behind the proxy's access rules if enrollment must be restricted.
 */
@Controller()
@Public('a device fetches these before it has an identity; SCEP checks the one-time challenge')
export class EnrollmentController {
  constructor(private readonly upstream: UpstreamClient) {}

  @Get('mdm/enroll')
  async profile(@Res() res: Response): Promise<void> {
    relay(res, await this.upstream.forward('enrollment', 'GET', '/internal/enroll', {}));
  }

  @All('scep')
  async scep(@Req() req: Request, @Res() res: Response): Promise<void> {
    const query = new URL(req.originalUrl, 'http://gateway').search;
    const body = req.method === 'POST' && Buffer.isBuffer(req.body) ? req.body : undefined;
    const headers: Record<string, string> = body ? { 'content-type': 'application/x-pki-message' } : {};
    relay(res, await this.upstream.forward('enrollment', req.method === 'POST' ? 'POST' : 'GET', `/internal/scep${query}`, headers, body));
  }
}
