import type { AdminRoute } from './admin-routes';

export type AdminRouteMatch =
  | { kind: 'route'; route: AdminRoute }
  /** The path exists but not with this method; `allow` lists the ones it has. */
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

/** Which route of the table serves `method pathname`; the guard and the controller both ask. */
export function matchAdminRoute(routes: readonly AdminRoute[], method: string, pathname: string): AdminRouteMatch {
  const candidates = routes.filter((r) => r.pattern.test(pathname));
  if (!candidates.length) return { kind: 'none' };
  const route = candidates.find((r) => r.method === method);
  return route ? { kind: 'route', route } : { kind: 'method', allow: candidates.map((r) => r.method) };
}
