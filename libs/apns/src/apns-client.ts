import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { classifyApnsResponse, type PushResult } from './apns-response';
import type { ApnsClientOptions, ApnsClientStats, MdmPush } from './apns-types';
import { type Connection, ConnectionPool, describe, type PoolOwner } from './apns-connection-pool';
import { Job, JobQueue, type JobStream, kJob, onStreamData, onStreamEnd, onStreamError, onStreamResponse } from './apns-job';

export type { ApnsClientOptions, ApnsClientStats, MdmPush } from './apns-types';

const DEFAULT_EXPIRATION_S = 7 * 24 * 60 * 60;
/** REFUSED_STREAM guarantees the push was not processed, so it does not spend maxRetries; this only stops a loop. */
const MAX_REFUSALS = 16;
const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * An APNs sender on node:http2 for MDM pushes. Pushes are queued in the client and written only while a
 * connection has room under the server's advertised SETTINGS_MAX_CONCURRENT_STREAMS, so nghttp2 never queues
 * and a lost connection re-sends exactly what it can prove was not processed. `send` never rejects.
 * This class dispatches pushes onto streams and settles them; `ConnectionPool` owns the connections.
 */
export class ApnsClient {
  private readonly requestTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly pool: ConnectionPool;
  private readonly queue = new JobQueue();
  private inFlightCount = 0;
  private sweepTimer: NodeJS.Timeout | undefined = undefined;
  private closing = false;
  private drained: (() => void) | undefined = undefined;
  private readonly counters: ApnsClientStats = {
    completed: 0,
    streamsOpened: 0,
    retries: 0,
    resentUnprocessed: 0,
    goawaysReceived: 0,
    connectionsOpened: 0,
    connectionFailures: 0,
    timeouts: 0,
  };

  // Mutated before each request: session.request() copies headers synchronously, so one object serves every push.
  private readonly headers: http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': '',
    'apns-topic': '',
    'apns-push-type': 'mdm',
    'apns-priority': '10',
    'apns-expiration': '0',
  };
  private readonly headersWithId: http2.OutgoingHttpHeaders = { ...this.headers, 'apns-id': '' };

  /** One listener per client rather than per push; `this` is the stream. */
  private readonly onStreamClose: (this: JobStream) => void;

  constructor(opts: ApnsClientOptions) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const client = this;
    this.onStreamClose = function (this: JobStream): void {
      client.streamClosed(this);
    };
    const authority = new URL(opts.url);
    if (authority.protocol !== 'https:') throw new Error(`APNs url must be https:// (got ${opts.url})`);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.maxRetries = Math.max(0, opts.maxRetries ?? 3);
    const settings = {
      authority,
      host: authority.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: authority.port === '' ? 443 : Number(authority.port),
      // Built once: it parses the certificate and key (a mismatch throws here, not on the first push) and
      // every connection reuses it.
      secureContext: tls.createSecureContext({
        cert: opts.certPem,
        key: opts.keyPem,
        ca: opts.ca?.length ? [...tls.rootCertificates, ...opts.ca] : undefined,
      }),
      proxyUrl: opts.proxyUrl || undefined,
      poolSize: Math.max(1, Math.floor(opts.sessions ?? 1)),
      requestTimeoutMs: this.requestTimeoutMs,
      pingIntervalMs: opts.pingIntervalMs ?? 60_000,
      maxRetries: this.maxRetries,
    };
    const owner: PoolOwner = {
      get queued(): number {
        return client.queued;
      },
      pump: () => this.pump(),
      unprocessed: (conn, job) => this.unprocessed(conn, job),
      cutOff: (conn, job) => this.cutOff(conn, job),
      unreachable: (result) => this.unreachable(result),
    };
    this.pool = new ConnectionPool(settings, owner, this.counters);
  }

  /** Pushes written to a stream and not yet answered. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Pushes waiting for room on a connection. */
  get queued(): number {
    return this.queue.size;
  }

  get stats(): Readonly<ApnsClientStats> {
    return this.counters;
  }

  send(push: MdmPush): Promise<PushResult> {
    if (this.closing) return Promise.resolve({ outcome: 'failed', status: 0, reason: 'ClientClosed' });
    // The token becomes part of the :path; anything but hex could address another resource.
    if (push.token.length === 0 || !HEX.test(push.token)) {
      return Promise.resolve({ outcome: 'dead-token', status: 0, reason: 'BadDeviceToken' });
    }
    return new Promise<PushResult>((resolve) => {
      const job = new Job(push, push.expiration ?? Math.floor(Date.now() / 1000) + DEFAULT_EXPIRATION_S, resolve);
      this.queue.push(job);
      this.pump();
    });
  }

  /** Stops taking pushes, waits until every queued and in-flight push is answered, then closes the connections. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.queued > 0 || this.inFlightCount > 0) {
      await new Promise<void>((resolve) => {
        // Bounded: a shutdown must end even if APNs never answers (or our bookkeeping is off), so after
        // one request timeout whatever is left resolves retryable and the connections are torn down.
        const timer = setTimeout(() => {
          this.drained = undefined;
          this.abandon();
          resolve();
        }, this.requestTimeoutMs + 1000);
        this.drained = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.pump();
      });
    }
    this.pool.stopReconnecting();
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await Promise.all(this.pool.all().map((conn) => this.pool.close(conn)));
  }

  /** Ends a drain that ran out of time: every push still held resolves retryable, the sessions go. */
  private abandon(): void {
    for (const conn of this.pool.all()) {
      for (const job of [...conn.inFlight]) {
        if (job.stream !== undefined) job.stream[kJob] = undefined;
        this.untrack(conn, job);
        this.finish(job, { outcome: 'retryable', status: 0, reason: 'ClientClosed' });
      }
      conn.session?.destroy();
    }
    while (this.queued > 0) this.finish(this.queue.shift(), { outcome: 'retryable', status: 0, reason: 'ClientClosed' });
    this.inFlightCount = 0;
  }

  // ---- what the connections report (PoolOwner) -------------------------------------------------------------

  private pump(): void {
    while (this.queued > 0) {
      const conn = this.pool.pick();
      if (conn === undefined) break;
      this.dispatch(conn, this.queue.shift());
    }
    if (this.queued > 0) this.pool.grow();
    if (this.closing && this.queued === 0 && this.inFlightCount === 0 && this.drained !== undefined) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  private unprocessed(conn: Connection, job: Job): void {
    // Node closes those streams itself; detach first so their 'close' does not count as a loss.
    if (job.stream !== undefined) job.stream[kJob] = undefined;
    this.untrack(conn, job);
    job.connection = undefined;
    this.resendUnprocessed(job);
  }

  private cutOff(conn: Connection, job: Job): void {
    if (job.stream !== undefined) job.stream[kJob] = undefined;
    this.untrack(conn, job);
    job.connection = undefined;
    if (job.timedOut) {
      this.counters.timeouts++;
      this.finish(job, { outcome: 'retryable', status: 0, reason: 'Timeout' });
    } else {
      this.resendAfterLoss(job, conn.goawayReason ?? conn.lastError ?? 'ConnectionLost');
    }
  }

  private unreachable(result: PushResult): void {
    while (this.queued > 0) this.finish(this.queue.shift(), { ...result });
  }

  // ---- dispatch --------------------------------------------------------------------------------------------

  private dispatch(conn: Connection, job: Job): void {
    const session = conn.session as http2.ClientHttp2Session;
    const headers = job.push.id === undefined ? this.headers : this.headersWithId;
    // Path, headers and body are built here rather than in send(): a queued push then holds no strings or
    // buffers of its own, which keeps a large backlog out of the old generation.
    headers[':path'] = '/3/device/' + job.push.token;
    headers['apns-topic'] = job.push.topic;
    headers['apns-priority'] = job.push.priority === 5 ? '5' : '10';
    headers['apns-expiration'] = String(job.expiration);
    if (job.push.id !== undefined) headers['apns-id'] = job.push.id;

    let stream: JobStream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      // The session went away between its last event and now: send the push elsewhere.
      conn.lastError = describe(err);
      this.queue.pushFront(job);
      this.pool.retire(conn);
      return;
    }
    job.connection = conn;
    job.stream = stream;
    job.status = 0;
    job.body = '';
    job.ended = false;
    job.apnsId = undefined;
    job.retryAfter = undefined;
    job.deadline = Date.now() + this.requestTimeoutMs;
    stream[kJob] = job;
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('close', this.onStreamClose);
    stream.end('{"mdm":' + JSON.stringify(job.push.pushMagic) + '}');

    if (conn.inFlight.size === 0) session.ref();
    conn.inFlight.add(job);
    conn.lastActivity = Date.now();
    this.inFlightCount++;
    this.counters.streamsOpened++;
    if (this.sweepTimer === undefined) this.startSweep();
  }

  private streamClosed(stream: JobStream): void {
    const job = stream[kJob];
    if (job === undefined) return;
    stream[kJob] = undefined;
    const conn = job.connection as Connection;
    this.untrack(conn, job);

    if (job.ended && job.status !== 0) {
      this.finish(job, classifyApnsResponse(job.status, job.body, job.apnsId, job.retryAfter));
    } else if (job.timedOut) {
      this.counters.timeouts++;
      this.finish(job, { outcome: 'retryable', status: 0, reason: 'Timeout' });
    } else if (stream.rstCode === NGHTTP2_REFUSED_STREAM) {
      this.resendUnprocessed(job);
    } else {
      this.resendAfterLoss(job, conn.goawayReason ?? conn.lastError ?? 'ConnectionLost');
    }
    this.pump();
  }

  private untrack(conn: Connection, job: Job): void {
    if (!conn.inFlight.delete(job)) return;
    job.stream = undefined;
    this.inFlightCount--;
    conn.lastActivity = Date.now();
    if (conn.inFlight.size === 0) {
      // Idle connections must not keep a script alive; they are re-ref'd on the next push.
      conn.session?.unref();
      if (conn.state === 'draining') this.pool.close(conn).catch(() => undefined);
    }
  }

  private resendUnprocessed(job: Job): void {
    job.refusals++;
    if (job.refusals > MAX_REFUSALS) {
      this.finish(job, { outcome: 'retryable', status: 0, reason: 'RefusedStream' });
      return;
    }
    this.counters.resentUnprocessed++;
    this.queue.pushRetry(job);
  }

  private resendAfterLoss(job: Job, reason: string): void {
    job.attempts++;
    if (job.attempts > this.maxRetries) {
      this.finish(job, { outcome: 'retryable', status: 0, reason });
      return;
    }
    this.counters.retries++;
    this.queue.pushRetry(job);
  }

  private finish(job: Job, result: PushResult): void {
    job.connection = undefined;
    this.counters.completed++;
    job.resolve(result);
  }

  // ---- timeouts --------------------------------------------------------------------------------------------

  private startSweep(): void {
    const every = Math.max(5, Math.min(1000, Math.floor(this.requestTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Jobs join a connection's set in dispatch order with the same timeout, so each scan stops at the first live one. */
  private sweep(): void {
    if (this.inFlightCount === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
      return;
    }
    const now = Date.now();
    for (const conn of this.pool.all()) {
      let expired = false;
      for (const job of conn.inFlight) {
        if (job.deadline > now) break;
        if (job.timedOut) continue;
        job.timedOut = true;
        expired = true;
        job.stream?.close(NGHTTP2_CANCEL);
      }
      // A silent server may be a dead connection: find out now rather than at the next idle PING.
      if (expired) this.pool.ping(conn);
    }
  }
}
