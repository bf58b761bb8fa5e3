import type { WebhookFormat } from '@mdm/contracts';
import { toNanoMdmEvent } from './nanomdm';

/** An event as the delivery worker reads it from the `events` table. */
export interface DeliverableEvent {
  eventId: string;
  type: string;
  udid: string | null;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/** This server's envelope: the event id is stable across retries and replays, so receivers de-duplicate on it. */
export interface MdmEnvelope {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export function mdmEnvelope(event: DeliverableEvent): MdmEnvelope {
  return { id: event.eventId, type: event.type, occurredAt: event.occurredAt.toISOString(), data: event.data };
}

/**
 * The exact bytes POSTed for an event in a webhook's format (what the signature covers); undefined when the
 * format has no message for this event type (NanoMDM knows check-ins and command results only).
 */
export function deliveryBody(format: WebhookFormat, event: DeliverableEvent): string | undefined {
  switch (format) {
    case 'mdm':
      return JSON.stringify(mdmEnvelope(event));
    case 'nanomdm': {
      const mapped = toNanoMdmEvent(event);
      return mapped && JSON.stringify(mapped);
    }
  }
}
