import type { ApiKeyScope } from '@mdm/contracts';

/** Whether a key with `granted` may call a route that needs `required`: `admin` implies every scope. */
export function scopeAllows(granted: readonly ApiKeyScope[], required: ApiKeyScope): boolean {
  return granted.includes('admin') || granted.includes(required);
}
