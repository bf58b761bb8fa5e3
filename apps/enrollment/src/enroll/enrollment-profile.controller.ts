import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { parseOr400 } from '@mdm/service-kit';
import { EnrollmentProfileService } from './enrollment-profile.service';

const ProfileQuery = z.object({
  topic: z.string().min(1).optional(),
  accessRights: z.coerce.number().int().min(1).max(8191).optional(),
  unsigned: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

const MOBILECONFIG = 'application/x-apple-aspen-config';

/**
 * `GET /internal/enroll` backs the public `GET /mdm/enroll` (the default profile, always signed);
 * `GET /v1/enrollment/profile` is the admin variant with options.
 */
@Controller()
export class EnrollmentProfileController {
  constructor(private readonly profiles: EnrollmentProfileService) {}

  @Get('internal/enroll')
  async device(@Res() res: Response): Promise<void> {
    sendProfile(res, await this.profiles.build());
  }

  @Get('v1/enrollment/profile')
  async admin(@Query() query: unknown, @Res() res: Response): Promise<void> {
    const q = parseOr400(ProfileQuery, query, 'query');
    const body = await this.profiles.build(q);
    sendProfile(res, body, q.unsigned ? 'application/xml' : MOBILECONFIG);
  }
}

export function sendProfile(res: Response, body: Buffer, type = MOBILECONFIG): void {
  // Each download carries a one-time challenge: no cache may keep or share it.
  res.status(200).type(type).setHeader('content-disposition', 'attachment; filename="enroll.mobileconfig"').setHeader('cache-control', 'no-store');
  res.send(body);
}
