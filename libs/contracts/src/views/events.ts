import type { CursorPage } from '../list-query';

/** One entry of the event log (GET /v1/events). */
export interface EventView {
  /** The event's number (the table's bigserial): unique, but commit order is `cursor` order. */
  seq: number;
  id: string;
  type: string;
  udid: string | null;
  occurredAt: string;
  data: object;
  /** Send as `after` to read on from this event. */
  cursor: string;
}

export type EventList = CursorPage<'events', EventView>;
