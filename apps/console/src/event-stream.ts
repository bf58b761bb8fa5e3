import { apiKey } from './api';

/** An event as the stream sends it: the same shape as an item of `GET /v1/events`. */
export interface StreamedEvent {
  id: string;
  type: string;
  udid: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
  cursor: string;
}

/** Called with the type of each event the server streams (`command.acknowledged`, ...) and the event itself. */
export type ServerEventListener = (type: string, event: StreamedEvent | undefined) => void;

/** `live` while the stream is open; `down` between a failure and the next attempt (views poll meanwhile). */
export type StreamState = 'connecting' | 'live' | 'down';

/** Pause before reconnecting after the stream broke (the gateway restarted, the network dropped). */
const RECONNECT_MS = 3000;

const listeners = new Set<ServerEventListener>();
let current: AbortController | undefined;
let lastEventId: string | undefined;
let state: StreamState = 'connecting';
const stateListeners = new Set<(s: StreamState) => void>();

export function streamState(): StreamState {
  return state;
}

/** Follows the stream's state (to poll while it is down and to say so); returns the unsubscribe function. */
export function onStreamState(listener: (s: StreamState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

function setState(next: StreamState): void {
  if (next === state) return;
  state = next;
  for (const listener of [...stateListeners]) listener(next);
}

/**
 * Subscribes to `GET /v1/events/stream` (server-sent events). One stream per tab, opened with the first
 * subscriber and closed with the last; it reconnects with `Last-Event-ID`, so no event is missed across
 * a reconnect. Read with fetch rather than EventSource, which cannot send the Authorization header.
 * Returns the unsubscribe function.
 */
export function onServerEvent(listener: ServerEventListener): () => void {
  listeners.add(listener);
  if (!current) void follow((current = new AbortController()));
  return () => {
    listeners.delete(listener);
    if (!listeners.size) {
      current?.abort();
      current = undefined;
    }
  };
}

async function follow(controller: AbortController): Promise<void> {
  while (!controller.signal.aborted) {
    const key = apiKey();
    if (!key) return;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const res = await fetch('/v1/events/stream', { headers, signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
      setState('live');
      await read(res.body, controller.signal);
    } catch {
      if (controller.signal.aborted) return;
    }
    setState('down');
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

/** Splits the stream into events (blank-line separated) and hands each one's type to the listeners. */
async function read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let type: string | undefined;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (id) lastEventId = id;
      if (type) for (const listener of [...listeners]) listener(type, parseEvent(data));
    }
  }
}

function parseEvent(data: string): StreamedEvent | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === 'object' && 'type' in value && 'cursor' in value ? (value as StreamedEvent) : undefined;
  } catch {
    return undefined;
  }
}
