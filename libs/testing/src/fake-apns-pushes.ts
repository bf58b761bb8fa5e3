import type { FakeApns } from './fake-apns';

/** An accepted push as a process outside the fake sees it: which device, which topic, when. */
export interface PushSeen {
  token: string;
  topic: string;
  receivedAt: number;
}

/** Longest a long poll is held open. */
const MAX_WAIT_MS = 60_000;

/**
 * A long poll over the fake's accepted pushes: those from index `after` on, waiting up to `waitMs` for one
 * when there is none yet. `next` is the index to ask from next time; after a reset() the log is shorter than
 * the caller's index, and the answer starts again from its end.
 */
export async function pushesAfter(fake: FakeApns, after: number, waitMs: number): Promise<{ next: number; pushes: PushSeen[] }> {
  const from = Math.max(0, after);
  if (from > fake.pushes.length) return { next: fake.pushes.length, pushes: [] };
  const wait = Math.min(Math.max(0, waitMs), MAX_WAIT_MS);
  if (from === fake.pushes.length && wait > 0) await fake.waitForPushes(from + 1, wait).catch(() => undefined);
  const pushes = fake.pushes.slice(from).map((p) => ({ token: p.token, topic: p.topic, receivedAt: p.receivedAt }));
  return { next: from + pushes.length, pushes };
}
