import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { PostApnsCertificatesRequest, PostApnsCsrRequest, PutApnsCertificateRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { z } from 'zod';
import { ApnsCertificateService, type ApnsCertificateView, type UploadResult } from './apns-certificate.service';

const ForceQuery = z.object({ force: z.enum(['true', 'false']).optional() });

interface CertificatesAnswer {
  /** The worst status of all stored certificates ('ok' when none is stored). */
  status: ApnsCertificateView['status'];
  warnings: string[];
  certificates: ApnsCertificateView[];
}

@Controller('v1/apns')
export class ApnsCertificateController {
  constructor(private readonly service: ApnsCertificateService) {}

  /** Renews a stored topic's certificate (or stores the first one); see UploadMode for the topic rules. */
  @Put('certificate')
  async put(@Body() body: unknown, @Query() query: unknown): Promise<UploadResult> {
    const req = parseOr400(PutApnsCertificateRequest, body);
    const force = req.force === true || parseOr400(ForceQuery, query, 'query').force === 'true';
    return this.service.upload(req, 'put', force);
  }

  /** Adds a certificate for another topic (one per tenant). */
  @Post('certificates')
  @HttpCode(201)
  async post(@Body() body: unknown): Promise<UploadResult> {
    return this.service.upload(parseOr400(PostApnsCertificatesRequest, body), 'post');
  }

  @Get(['certificate', 'certificates'])
  async list(): Promise<CertificatesAnswer> {
    const certificates = await this.service.list();
    const order = ['ok', 'expiring', 'expired'] as const;
    const status = certificates.reduce<ApnsCertificateView['status']>((w, c) => (order.indexOf(c.status) > order.indexOf(w) ? c.status : w), 'ok');
    return { status, warnings: certificates.flatMap((c) => c.warnings), certificates };
  }

  @Post('csr')
  @HttpCode(201)
  async csr(@Body() body: unknown): Promise<{ csr: string; publicKeySha256: string; createdAt: string }> {
    return this.service.createCsr(parseOr400(PostApnsCsrRequest, body ?? {}));
  }
}
