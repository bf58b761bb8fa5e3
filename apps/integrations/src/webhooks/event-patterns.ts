import type { WebhookFormat } from '@mdm/contracts';
import { eventMatcher } from '@mdm/persistence';
import { hasNanoMdmMapping } from '../delivery/nanomdm';

/** What the fan-out needs to know of a webhook. */
export interface WebhookSubscription {
  id: string;
  events: readonly string[];
  format: WebhookFormat;
  createdAt: Date;
}

/**
 * Whether a webhook gets an event: its patterns match the type (`command.*` or the exact type), its format
 * has a message for it, and it happened after the webhook was created (older events only through replay,
 * so a new webhook is not flooded with history the feed has not reached yet).
 */
export function webhookWants(hook: WebhookSubscription, event: { type: string; occurredAt: Date }, matches = eventMatcher(hook.events)): boolean {
  if (!matches(event.type)) return false;
  if (hook.format === 'nanomdm' && !hasNanoMdmMapping(event.type)) return false;
  return event.occurredAt.getTime() >= hook.createdAt.getTime();
}

/** As `webhookWants` without the creation time: what a replay of past events selects. */
export function webhookReplays(hook: Pick<WebhookSubscription, 'events' | 'format'>, type: string, types?: readonly string[]): boolean {
  if (!eventMatcher(hook.events)(type)) return false;
  if (types && !eventMatcher(types)(type)) return false;
  return hook.format !== 'nanomdm' || hasNanoMdmMapping(type);
}
