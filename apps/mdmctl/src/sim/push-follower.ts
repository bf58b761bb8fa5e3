import { pause } from '../list';

/** One push the fake APNs accepted, as its control server lists it (`GET /pushes`). */
export interface SeenPush {
  token: string;
  topic: string;
  receivedAt: number;
}

export interface PushFollowerOptions {
  /** The fake APNs control URL now (it changes when the trial restarts); undefined while none runs. */
  controlUrl(): string | undefined;
  onPush(push: SeenPush): void;
  /** Said once when the fake cannot be reached, and once when it can again. */
  onState(text: string): void;
  signal: AbortSignal;
  /** How long one long poll waits for a push. */
  waitMs?: number;
  retryMs?: number;
}

const START_FROM_END = Number.MAX_SAFE_INTEGER;

/**
 * Follows the fake APNs's accepted pushes with long polls, so a simulated device wakes on its push like an
 * iPhone. Starts from the pushes after the first answer (older ones were for the devices' earlier lives).
 */
export async function followPushes(opts: PushFollowerOptions): Promise<void> {
  const waitMs = opts.waitMs ?? 25_000;
  let next = START_FROM_END;
  let followed: string | undefined;
  let lost = false;
  while (!opts.signal.aborted) {
    const url = opts.controlUrl();
    // Another fake (the trial restarted) numbers its pushes from 0: start at its end.
    if (url !== followed) next = START_FROM_END;
    followed = url;
    try {
      if (url === undefined) throw new Error('no trial is running (npm run trial)');
      const res = await fetch(`${url}/pushes?after=${next}&wait=${waitMs}`, {
        signal: AbortSignal.any([opts.signal, AbortSignal.timeout(waitMs + 10_000)]),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const page = (await res.json()) as { next: number; pushes: SeenPush[] };
      if (lost) opts.onState(`following pushes at ${url} again`);
      lost = false;
      next = page.next;
      for (const push of page.pushes) opts.onPush(push);
    } catch (err) {
      if (opts.signal.aborted) return;
      if (!lost) opts.onState(`cannot follow pushes at ${url ?? '(none)'}: ${(err as Error).message}; devices still check in periodically, retrying`);
      lost = true;
      await pause(opts.retryMs ?? 2000, opts.signal);
    }
  }
}
