import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { matchAdminRoute } from './admin-route-match';
import { ADMIN_ROUTES } from './admin-routes';
import { ApiKeyVerifier } from './api-key-verifier';
import { scopeAllows } from './scopes';

/**
 * `Authorization: Bearer <key>`: MDM_API_KEY (every scope) or a key made with `POST /v1/api-keys`.
 * 401 says whether the key is missing, unknown, revoked or expired; 403 names the scope the route
 * needs. A path or method the table doesn't know passes on to the controller's 404/405.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeyVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!match?.[1]) throw new UnauthorizedException('missing Authorization: Bearer <API key>');
    const auth = await this.keys.authenticate(match[1].trim());
    if (!auth.ok) throw new UnauthorizedException(auth.reason);
    const found = matchAdminRoute(ADMIN_ROUTES, req.method, new URL(req.originalUrl, 'http://gateway').pathname);
    if (found.kind === 'route' && !scopeAllows(auth.principal.scopes, found.route.scope)) {
      throw new ForbiddenException(`this key lacks the '${found.route.scope}' scope`);
    }
    return true;
  }
}
