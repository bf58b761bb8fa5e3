import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './api';
import { onServerEvent, onStreamState, type StreamState, streamState } from './event-stream';

/**
 * Live views re-read the API when the server streams an event (`GET /v1/events/stream`); only while the
 * stream is down do they fall back on re-reading at this interval (and say so, `LiveState`).
 */
export const LIVE_INTERVAL_MS = 15_000;
/** Events come in bursts (a bulk command): one re-read per burst. */
const EVENT_DEBOUNCE_MS = 300;

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads once; with `intervalMs` > 0 it is a live view: loaded again after each burst of server events (unless
 * `reloadOnEvents` is false: a view fed by the events themselves), and every `intervalMs` while the stream is
 * down and the tab visible. Requests never overlap (a change during one is loaded
 * right after it), and an answer that arrives after its inputs changed is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], intervalMs = 0, reloadOnEvents = true): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    let busy = false;
    let again = false;
    const run = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const value = await loadRef.current();
        if (live) {
          setData(value);
          setError(undefined);
        }
      } catch (err) {
        if (live) setError(errorText(err));
      } finally {
        busy = false;
        if (live) setLoading(false);
        if (live && again) {
          again = false;
          void run();
        }
      }
    };
    setLoading(true);
    void run();
    const timer = intervalMs > 0 ? setInterval(() => (document.hidden || streamState() === 'live' ? undefined : void run()), intervalMs) : undefined;
    let debounce: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe =
      intervalMs > 0 && reloadOnEvents
        ? onServerEvent(() => {
            debounce ??= setTimeout(() => {
              debounce = undefined;
              void run();
            }, EVENT_DEBOUNCE_MS);
          })
        : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      unsubscribe?.();
    };
  }, [...deps, tick, intervalMs, reloadOnEvents]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** The event stream's state, for a view to say whether it is live or polling. */
export function useStreamState(): StreamState {
  const [state, setState] = useState(streamState);
  useEffect(() => onStreamState(setState), []);
  return state;
}

/** Runs an action, keeping its error or success text for the form that started it. */
export function useAction(): {
  busy: boolean;
  error: string | undefined;
  message: string | undefined;
  run: (action: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const run = useCallback(async (action: () => Promise<string | void>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const m = await action();
      if (m) setMessage(m);
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setMessage(undefined);
  }, []);
  return { busy, error, message, run, clear };
}
