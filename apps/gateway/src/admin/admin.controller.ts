import {
  All,
  BadRequestException,
  Controller,
  HttpException,
  HttpStatus,
  NotFoundException,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { parseOr400 } from '@mdm/service-kit';
import { relay, UpstreamClient } from '../upstream/upstream.client';
import { ADMIN_ROUTES } from './admin-routes';
import { ApiKeyGuard } from './api-key.guard';

/** The admin API under /v1: authenticated and validated here, served by the owning service. */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AdminController {
  constructor(private readonly upstream: UpstreamClient) {}

  @All(['', '*path'])
  async route(@Req() req: Request, @Res() res: Response): Promise<void> {
    const url = new URL(req.originalUrl, 'http://gateway');
    const candidates = ADMIN_ROUTES.filter((r) => r.pattern.test(url.pathname));
    if (!candidates.length) throw new NotFoundException(`no such endpoint: ${req.method} ${url.pathname}`);
    const route = candidates.find((r) => r.method === req.method);
    if (!route) {
      res.setHeader('allow', candidates.map((r) => r.method).join(', '));
      throw new HttpException(`${req.method} is not allowed on ${url.pathname}`, HttpStatus.METHOD_NOT_ALLOWED);
    }
    let body: Buffer | undefined;
    if (route.body) {
      body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let json: unknown;
      try {
        // No body is an empty object: the schema then names what is required.
        json = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch (err) {
        throw new BadRequestException(`body is not valid JSON: ${(err as Error).message}`);
      }
      parseOr400(route.body, json);
    }
    const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
    const idempotencyKey = req.headers['idempotency-key'];
    if (typeof idempotencyKey === 'string') headers['idempotency-key'] = idempotencyKey;
    const answer = await this.upstream.forward(route.service, req.method, url.pathname + url.search, headers, body);
    relay(res, answer);
  }
}
