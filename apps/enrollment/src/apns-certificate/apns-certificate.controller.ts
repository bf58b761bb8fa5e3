import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApnsCertificateListQuery,
  type ApnsCertificateView,
  type OffsetPage,
  PostApnsCertificatesRequest,
  PostApnsCsrRequest,
  PutApnsCertificateRequest,
  type StrandedTopic,
  strandedTopicWarning,
} from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { z } from 'zod';
import { ApnsCertificateService, type UploadResult } from './apns-certificate.service';

const ForceQuery = z.object({ force: z.enum(['true', 'false']).optional() });

type CertificatesAnswer = OffsetPage<'certificates', ApnsCertificateView> & {
  /** The worst status of all stored certificates ('ok' when none is stored). */
  status: ApnsCertificateView['status'];
  warnings: string[];
  /** Enrolled devices whose topic has no stored certificate, per topic: they cannot be pushed. */
  strandedDevices: StrandedTopic[];
};

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

  /**
   * Paged, filtered and sorted as `ApnsCertificateListQuery` (@mdm/contracts) allows; `status` and `warnings`
   * sum up every stored certificate whatever the page, and `strandedDevices` every topic left without one. A server holds one certificate per tenant topic, a
   * handful, so they are filtered and sorted here rather than in SQL.
   */
  @Get(['certificate', 'certificates'])
  async list(@Query() query: unknown): Promise<CertificatesAnswer> {
    const q = parseOr400(ApnsCertificateListQuery, query ?? {}, 'query');
    const [all, stranded] = await Promise.all([this.service.list(), this.service.stranded()]);
    const order = ['ok', 'expiring', 'expired'] as const;
    const status = all.reduce<ApnsCertificateView['status']>((w, c) => (order.indexOf(c.status) > order.indexOf(w) ? c.status : w), 'ok');
    // The service lists them oldest first, so the position is the createdAt order; notAfter is ISO 8601.
    const key = (c: ApnsCertificateView, position: number): string | number =>
      q.sort === 'createdAt' ? position : q.sort === 'notAfter' ? c.notAfter : c.topic;
    const sign = q.order === 'asc' ? 1 : -1;
    const matching = all
      .map((c, position) => ({ c, key: key(c, position) }))
      .filter(({ c }) => (!q.topic || c.topic === q.topic) && (!q.status || q.status.includes(c.status)))
      .sort((a, b) => sign * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ c }) => c);
    return {
      status,
      warnings: [...all.flatMap((c) => c.warnings), ...stranded.map(strandedTopicWarning)],
      strandedDevices: stranded,
      certificates: matching.slice(q.offset, q.offset + q.limit),
      total: matching.length,
      limit: q.limit,
      offset: q.offset,
    };
  }

  @Post('csr')
  @HttpCode(201)
  async csr(@Body() body: unknown): Promise<{ csr: string; publicKeySha256: string; createdAt: string }> {
    return this.service.createCsr(parseOr400(PostApnsCsrRequest, body ?? {}));
  }
}
