import {
  All,
  BadRequestException,
  Controller,
  HttpException,
  HttpStatus,
  NotFoundException,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { parseOr400, setRouteLabel } from '@mdm/service-kit';
import { relay, UpstreamClient } from '../upstream/upstream.client';
import { matchAdminRoute } from './admin-route-match';
import { ADMIN_ROUTES } from './admin-routes';
import { ApiKeyVerifier } from './api-key-verifier';

const REVOKE_API_KEY = ADMIN_ROUTES.find((r) => r.method === 'DELETE' && r.path === '/v1/api-keys/{id}');

/** The admin API under /v1: authenticated (ApiKeyGuard, global) and validated here, served by the owning service. */
@Controller('v1')
export class AdminController {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly keys: ApiKeyVerifier,
  ) {}

  @All(['', '*path'])
  async route(@Req() req: Request, @Res() res: Response): Promise<void> {
    const url = new URL(req.originalUrl, 'http://gateway');
    const found = matchAdminRoute(ADMIN_ROUTES, req.method, url.pathname);
    if (found.kind === 'none') throw new NotFoundException(`no such endpoint: ${req.method} ${url.pathname}`);
    if (found.kind === 'method') {
      res.setHeader('allow', found.allow.join(', '));
      throw new HttpException(`${req.method} is not allowed on ${url.pathname}`, HttpStatus.METHOD_NOT_ALLOWED);
    }
    const { route } = found;
    setRouteLabel(res, route.path);
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
    // This gateway stops accepting a revoked key at once; other replicas within VERDICT_TTL_MS.
    if (route === REVOKE_API_KEY && answer.status < 300) this.keys.forget(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    relay(res, answer);
  }
}
