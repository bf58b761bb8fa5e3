import type * as http2 from 'node:http2';
import type { PushResult } from './apns-response';
import type { MdmPush } from './apns-types';
import type { Connection } from './apns-connection-pool';

export const kJob = Symbol('apnsJob');
export type JobStream = http2.ClientHttp2Stream & { [kJob]?: Job };

/** One push from send() until it resolves; survives re-sends. */
export class Job {
  connection: Connection | undefined = undefined;
  stream: JobStream | undefined = undefined;
  deadline = 0;
  status = 0;
  apnsId: string | undefined = undefined;
  retryAfter: string | undefined = undefined;
  body = '';
  ended = false;
  timedOut = false;
  attempts = 0;
  refusals = 0;

  constructor(
    readonly push: MdmPush,
    /** Unix seconds (apns-expiration), fixed at send() so a re-send keeps it. */
    readonly expiration: number,
    readonly resolve: (result: PushResult) => void,
  ) {}
}

// Shared stream listeners (`this` is the stream) so that a push allocates no closures.
export function onStreamResponse(this: JobStream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
  const job = this[kJob];
  if (job === undefined) return;
  job.status = headers[':status'] ?? 0;
  const id = headers['apns-id'];
  if (typeof id === 'string') job.apnsId = id;
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string') job.retryAfter = retryAfter;
}
export function onStreamData(this: JobStream, chunk: Buffer): void {
  const job = this[kJob];
  // A success has an empty body; only errors carry JSON worth keeping.
  if (job !== undefined && job.status !== 200) job.body += chunk.toString('utf8');
}
export function onStreamEnd(this: JobStream): void {
  const job = this[kJob];
  if (job !== undefined) job.ended = true;
}
export function onStreamError(): void {
  // The outcome is decided on 'close' from rstCode; this listener only keeps 'error' from being thrown.
}

/**
 * Pushes waiting for room on a connection: fresh ones in send order, and re-sends, which go first so a
 * reconnect does not reorder them behind a large backlog.
 */
export class JobQueue {
  private readonly fresh: Job[] = [];
  private head = 0;
  private readonly retries: Job[] = [];

  get size(): number {
    return this.fresh.length - this.head + this.retries.length;
  }

  push(job: Job): void {
    this.fresh.push(job);
  }

  /** A re-send, behind the other re-sends. */
  pushRetry(job: Job): void {
    this.retries.push(job);
  }

  /** A push that never left: first in line again. */
  pushFront(job: Job): void {
    this.retries.unshift(job);
  }

  shift(): Job {
    if (this.retries.length > 0) return this.retries.shift() as Job;
    const job = this.fresh[this.head];
    this.fresh[this.head] = undefined as unknown as Job;
    this.head++;
    if (this.head === this.fresh.length) {
      this.fresh.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.fresh.length) {
      // Compacts now and then instead of shifting an array of thousands on every push.
      this.fresh.splice(0, this.head);
      this.head = 0;
    }
    return job;
  }
}
