import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ApiKeyScope } from '@mdm/contracts';
import { matchAdminRoute } from './admin-route-match';
import { ADMIN_ROUTES } from './admin-routes';
import { ApiKeyVerifier } from './api-key-verifier';
import { scopeAllows } from './scopes';

/**
 * A route (or controller) served without an API key, with the reason why: the device endpoints (they
 * authenticate devices their own way), health probes, and static shells that hold no data. Everything
 * else needs a key, so a route added without a thought is closed, not open.
 */
export const Public = Reflector.createDecorator<string>();

/** The scope a route outside the admin route table needs (`/openapi.json`); `/v1` routes take theirs from the table. */
export const RequiredScope = Reflector.createDecorator<ApiKeyScope>();

/**
 * Global: every route needs `Authorization: Bearer <key>` (MDM_API_KEY, every scope, or a key made
 * with `POST /v1/api-keys`) unless it is marked `@Public`. 401 says whether the key is missing,
 * unknown, revoked or expired; 403 names the scope the route needs: the admin route table's for `/v1`,
 * else the handler's `@RequiredScope`. A `/v1` path or method the table doesn't know passes on to the
 * controller's 404/405.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride(Public, targets) !== undefined) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!match?.[1]) throw new UnauthorizedException('missing Authorization: Bearer <API key>');
    const auth = await this.keys.authenticate(match[1].trim());
    if (!auth.ok) throw new UnauthorizedException(auth.reason);
    const found = matchAdminRoute(ADMIN_ROUTES, req.method, new URL(req.originalUrl, 'http://gateway').pathname);
    const scope = found.kind === 'route' ? found.route.scope : this.reflector.getAllAndOverride(RequiredScope, targets);
    if (scope !== undefined && !scopeAllows(auth.principal.scopes, scope)) {
      throw new ForbiddenException(`this key lacks the '${scope}' scope`);
    }
    return true;
  }
}
