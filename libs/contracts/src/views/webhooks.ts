import type { WebhookFormat } from '../api';

/**
 * `pending` (not tried yet, or re-queued), `retrying` (an attempt failed, the next one is due at
 * `nextAttemptAt`), `delivered` (a 2xx), `dead` (the retry window ran out). Open = pending or retrying.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** A webhook as the API shows it: never the secret, only its last characters. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  enabled: boolean;
  secretHint: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventSeq: string;
  eventType: string;
  udid: string | null;
  origin: 'feed' | 'replay';
  status: WebhookDeliveryStatus;
  /** A worker holds it right now (its request may be on the wire). */
  inFlight: boolean;
  attempts: number;
  /** When the next attempt is due (open deliveries only). */
  nextAttemptAt: string | null;
  retryUntil: string;
  lastAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  createdAt: string;
}

export interface WebhookAttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'dead';
}
