import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { classifyApnsResponse, type PushResult } from './apns-response';
import { connectViaProxy } from './proxy';

export interface ApnsClientOptions {
  /** `https://api.push.apple.com` (port 443 or 2197), `https://api.sandbox.push.apple.com`, or a test server. */
  url: string;
  /** The MDM push certificate, presented as the TLS client certificate. */
  certPem: string;
  keyPem: string;
  /** Extra trusted CAs (APNS_CA_FILE), added to the system roots; used for test servers and TLS-inspecting proxies. */
  ca?: string[];
  /** `http://[user:pass@]host:port` CONNECT proxy (HTTPS_PROXY). */
  proxyUrl?: string;
  /** HTTP/2 connections kept open; one already carries APNs's ~1000 concurrent streams. Default 1. */
  sessions?: number;
  /** Per request, counted from the moment the stream is opened (not while queued); also bounds connecting. Default 10000. */
  requestTimeoutMs?: number;
  /** An idle connection is PINGed this often and dropped if the PING is not answered. Default 60000. */
  pingIntervalMs?: number;
  /** Re-sends after a lost connection, and consecutive failed connection attempts before queued pushes fail. Default 3. */
  maxRetries?: number;
}

export interface MdmPush {
  /** Device token, hex. */
  token: string;
  /** The UID of the push certificate's subject, `com.apple.mgmt.External.<uuid>`. */
  topic: string;
  pushMagic: string;
  /** Unix seconds until which APNs stores the push for an offline device. Default now + 7 days. */
  expiration?: number;
  /** Default 10. */
  priority?: 5 | 10;
  /** Sent as `apns-id` (a lowercase UUID); APNs generates one when absent. */
  id?: string;
}

/** Counters for metrics and tests; monotonic for the life of the client. */
export interface ApnsClientStats {
  /** Pushes resolved, whatever the outcome. */
  completed: number;
  /** Streams opened (a re-sent push counts again). */
  streamsOpened: number;
  /** Re-sends after a lost connection (counted against maxRetries). */
  retries: number;
  /** Re-sends after REFUSED_STREAM or a GOAWAY that excluded the stream: APNs never processed them. */
  resentUnprocessed: number;
  goawaysReceived: number;
  connectionsOpened: number;
  connectionFailures: number;
  timeouts: number;
}

const DEFAULT_EXPIRATION_S = 7 * 24 * 60 * 60;
/** A peer that advertises no limit would let nghttp2 buffer without bound; APNs itself advertises 1000. */
const MAX_STREAMS_CAP = 1000;
/** REFUSED_STREAM guarantees the push was not processed, so it does not spend maxRetries; this only stops a loop. */
const MAX_REFUSALS = 16;
const RECONNECT_BACKOFF_BASE_MS = 50;
const RECONNECT_BACKOFF_MAX_MS = 5000;
const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

const kJob = Symbol('apnsJob');
type JobStream = http2.ClientHttp2Stream & { [kJob]?: Job };

/** One push from send() until it resolves; survives re-sends. */
class Job {
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
    readonly path: string,
    readonly priority: string,
    readonly expiration: string,
    readonly payload: Buffer,
    readonly resolve: (result: PushResult) => void,
  ) {}
}

type ConnectionState = 'connecting' | 'ready' | 'draining' | 'closed';

/** One HTTP/2 session and the pushes in flight on it. */
class Connection {
  state: ConnectionState = 'connecting';
  session: http2.ClientHttp2Session | undefined = undefined;
  /** Until the server's first SETTINGS arrive we send nothing, so 0. */
  maxStreams = 0;
  readonly inFlight = new Set<Job>();
  lastActivity = Date.now();
  lastError: string | undefined = undefined;
  error: unknown = undefined;
  /** Set once a failed connection attempt has been counted, whichever path noticed it first. */
  failed = false;
  goawayReason: string | undefined = undefined;
  pingTimer: NodeJS.Timeout | undefined = undefined;
  connectTimer: NodeJS.Timeout | undefined = undefined;
}

// Shared stream listeners (`this` is the stream) so that a push allocates no closures.
function onStreamResponse(this: JobStream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
  const job = this[kJob];
  if (job === undefined) return;
  job.status = headers[':status'] ?? 0;
  const id = headers['apns-id'];
  if (typeof id === 'string') job.apnsId = id;
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string') job.retryAfter = retryAfter;
}
function onStreamData(this: JobStream, chunk: Buffer): void {
  const job = this[kJob];
  // A success has an empty body; only errors carry JSON worth keeping.
  if (job !== undefined && job.status !== 200) job.body += chunk.toString('utf8');
}
function onStreamEnd(this: JobStream): void {
  const job = this[kJob];
  if (job !== undefined) job.ended = true;
}
function onStreamError(): void {
  // The outcome is decided on 'close' from rstCode; this listener only keeps 'error' from being thrown.
}

/**
 * An APNs sender on node:http2 for MDM pushes. Pushes are queued in the client and written only while a
 * connection has room under the server's advertised SETTINGS_MAX_CONCURRENT_STREAMS, so nghttp2 never queues
 * and a lost connection re-sends exactly what it can prove was not processed. `send` never rejects.
 */
export class ApnsClient {
  private readonly authority: URL;
  private readonly host: string;
  private readonly port: number;
  private readonly secureContext: tls.SecureContext;
  private readonly proxyUrl: string | undefined;
  private readonly poolSize: number;
  private readonly requestTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly maxRetries: number;

  private readonly active: Connection[] = [];
  private readonly draining = new Set<Connection>();
  private readonly queue: Job[] = [];
  private queueHead = 0;
  /** Re-sends go before fresh pushes so a reconnect does not reorder them behind a large backlog. */
  private readonly retryQueue: Job[] = [];
  private inFlightCount = 0;
  private consecutiveConnectFailures = 0;
  private nextConnectAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined = undefined;
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
    this.authority = new URL(opts.url);
    if (this.authority.protocol !== 'https:') throw new Error(`APNs url must be https:// (got ${opts.url})`);
    this.host = this.authority.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = this.authority.port === '' ? 443 : Number(this.authority.port);
    // Built once: it parses the certificate and key (a mismatch throws here, not on the first push) and
    // every connection reuses it.
    this.secureContext = tls.createSecureContext({
      cert: opts.certPem,
      key: opts.keyPem,
      ca: opts.ca?.length ? [...tls.rootCertificates, ...opts.ca] : undefined,
    });
    this.proxyUrl = opts.proxyUrl || undefined;
    this.poolSize = Math.max(1, Math.floor(opts.sessions ?? 1));
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.pingIntervalMs = opts.pingIntervalMs ?? 60_000;
    this.maxRetries = Math.max(0, opts.maxRetries ?? 3);
  }

  /** Pushes written to a stream and not yet answered. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Pushes waiting for room on a connection. */
  get queued(): number {
    return this.queue.length - this.queueHead + this.retryQueue.length;
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
      const expiration = push.expiration ?? Math.floor(Date.now() / 1000) + DEFAULT_EXPIRATION_S;
      const job = new Job(
        push,
        '/3/device/' + push.token,
        push.priority === 5 ? '5' : '10',
        String(expiration),
        Buffer.from('{"mdm":' + JSON.stringify(push.pushMagic) + '}'),
        resolve,
      );
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
    clearTimeout(this.reconnectTimer);
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const closes: Promise<void>[] = [];
    for (const conn of [...this.active, ...this.draining]) closes.push(this.closeConnection(conn));
    await Promise.all(closes);
  }

  /** Ends a drain that ran out of time: every push still held resolves retryable, the sessions go. */
  private abandon(): void {
    for (const conn of [...this.active, ...this.draining]) {
      for (const job of [...conn.inFlight]) {
        if (job.stream !== undefined) job.stream[kJob] = undefined;
        this.untrack(conn, job);
        this.finish(job, { outcome: 'retryable', status: 0, reason: 'ClientClosed' });
      }
      conn.session?.destroy();
    }
    while (this.queued > 0) this.finish(this.dequeue(), { outcome: 'retryable', status: 0, reason: 'ClientClosed' });
    this.inFlightCount = 0;
  }

  // ---- dispatch --------------------------------------------------------------------------------------------

  private pump(): void {
    while (this.queued > 0) {
      const conn = this.pickConnection();
      if (conn === undefined) break;
      this.dispatch(conn, this.dequeue());
    }
    if (this.queued > 0) this.growPool();
    if (this.closing && this.queued === 0 && this.inFlightCount === 0 && this.drained !== undefined) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  private dequeue(): Job {
    if (this.retryQueue.length > 0) return this.retryQueue.shift() as Job;
    const job = this.queue[this.queueHead];
    this.queue[this.queueHead] = undefined as unknown as Job;
    this.queueHead++;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return job;
  }

  /** The ready connection with the most room, so load spreads over the pool. */
  private pickConnection(): Connection | undefined {
    let best: Connection | undefined;
    let bestRoom = 0;
    for (const conn of this.active) {
      if (conn.state !== 'ready') continue;
      const room = conn.maxStreams - conn.inFlight.size;
      if (room > bestRoom) {
        best = conn;
        bestRoom = room;
      }
    }
    return best;
  }

  private dispatch(conn: Connection, job: Job): void {
    const session = conn.session as http2.ClientHttp2Session;
    const headers = job.push.id === undefined ? this.headers : this.headersWithId;
    headers[':path'] = job.path;
    headers['apns-topic'] = job.push.topic;
    headers['apns-priority'] = job.priority;
    headers['apns-expiration'] = job.expiration;
    if (job.push.id !== undefined) headers['apns-id'] = job.push.id;

    let stream: JobStream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      // The session went away between its last event and now: send the push elsewhere.
      conn.lastError = describe(err);
      this.retryQueue.unshift(job);
      this.retire(conn);
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
    stream.end(job.payload);

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
      if (conn.state === 'draining') this.closeConnection(conn).catch(() => undefined);
    }
  }

  private resendUnprocessed(job: Job): void {
    job.refusals++;
    if (job.refusals > MAX_REFUSALS) {
      this.finish(job, { outcome: 'retryable', status: 0, reason: 'RefusedStream' });
      return;
    }
    this.counters.resentUnprocessed++;
    this.retryQueue.push(job);
  }

  private resendAfterLoss(job: Job, reason: string): void {
    job.attempts++;
    if (job.attempts > this.maxRetries) {
      this.finish(job, { outcome: 'retryable', status: 0, reason });
      return;
    }
    this.counters.retries++;
    this.retryQueue.push(job);
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
    for (const conn of [...this.active, ...this.draining]) {
      let expired = false;
      for (const job of conn.inFlight) {
        if (job.deadline > now) break;
        if (job.timedOut) continue;
        job.timedOut = true;
        expired = true;
        job.stream?.close(NGHTTP2_CANCEL);
      }
      // A silent server may be a dead connection: find out now rather than at the next idle PING.
      if (expired) this.ping(conn);
    }
  }

  // ---- connections -----------------------------------------------------------------------------------------

  private growPool(): void {
    if (this.active.length >= this.poolSize) return;
    // Each connecting session advertises room for the backlog soon; don't open more than the backlog needs.
    const connecting = this.active.filter((c) => c.state === 'connecting').length;
    if (connecting > 0 && this.queued <= connecting) return;
    const wait = this.nextConnectAt - Date.now();
    if (wait > 0) {
      if (this.reconnectTimer === undefined) {
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    while (this.active.length < this.poolSize) {
      const conn = new Connection();
      this.active.push(conn);
      this.open(conn).catch((err: unknown) => this.connectFailed(conn, err));
      if (this.consecutiveConnectFailures > 0) break; // probe with one connection while the server is failing
    }
  }

  private async open(conn: Connection): Promise<void> {
    conn.connectTimer = setTimeout(() => {
      conn.connectTimer = undefined;
      if (conn.state === 'connecting') {
        const err = new Error(`connecting to APNs timed out after ${this.requestTimeoutMs} ms`);
        if (conn.session !== undefined) conn.session.destroy(err);
        else this.connectFailed(conn, err);
      }
    }, this.requestTimeoutMs);
    conn.connectTimer.unref();

    const tunnel = this.proxyUrl === undefined ? undefined : await connectViaProxy(this.proxyUrl, this.host, this.port, this.requestTimeoutMs);
    if (conn.state !== 'connecting') {
      tunnel?.destroy();
      return;
    }
    const tlsOptions: tls.ConnectionOptions = {
      host: this.host,
      port: this.port,
      // SNI must not carry an IP address; identity is still checked against `host`.
      servername: isIP(this.host) ? undefined : this.host,
      ALPNProtocols: ['h2'],
      secureContext: this.secureContext,
    };
    if (tunnel !== undefined) tlsOptions.socket = tunnel;
    const session = http2.connect(this.authority, {
      createConnection: (): Duplex => {
        const socket = tls.connect(tlsOptions);
        // http2 hands a TLS alert (e.g. "certificate required") to the first stream, or to nobody while we
        // wait for SETTINGS: keep it so a refused certificate is reported as such, and fail fast.
        socket.on('error', (err: Error) => {
          conn.error = err;
          conn.lastError = describe(err);
          if (conn.state === 'connecting') conn.session?.destroy();
        });
        socket.on('close', () => {
          if (conn.state === 'connecting') conn.session?.destroy();
        });
        return socket;
      },
      // Before the server's SETTINGS arrive, nghttp2 must assume the most conservative limit.
      peerMaxConcurrentStreams: 1,
      settings: { enablePush: false },
    });
    conn.session = session;
    // Destroying a TLS socket layered on a proxy tunnel leaves the tunnel's TCP connection open.
    if (tunnel !== undefined) session.once('close', () => tunnel.destroy());
    this.counters.connectionsOpened++;

    session.on('remoteSettings', (settings: http2.Settings) => {
      const advertised = settings.maxConcurrentStreams ?? MAX_STREAMS_CAP;
      conn.maxStreams = Math.max(0, Math.min(advertised, MAX_STREAMS_CAP));
      if (conn.state === 'connecting') {
        conn.state = 'ready';
        clearTimeout(conn.connectTimer);
        conn.connectTimer = undefined;
        this.consecutiveConnectFailures = 0;
        this.nextConnectAt = 0;
        this.startPing(conn);
        if (conn.inFlight.size === 0) session.unref();
      }
      this.pump();
    });
    session.on('goaway', (errorCode: number, lastStreamID: number, opaqueData?: Buffer) =>
      this.onGoaway(conn, errorCode, lastStreamID, opaqueData),
    );
    session.on('error', (err: Error) => {
      conn.error = err;
      conn.lastError = describe(err);
    });
    session.on('close', () => this.onSessionClose(conn));
  }

  private onGoaway(conn: Connection, errorCode: number, lastStreamID: number, opaqueData: Buffer | undefined): void {
    this.counters.goawaysReceived++;
    conn.goawayReason = goawayReason(opaqueData) ?? (errorCode === 0 ? 'GoAway' : `GoAway(${errorCode})`);
    // Streams above lastStreamID were never processed (RFC 9113 §6.8): re-send them now, on another
    // connection, without spending a retry. Node closes those streams itself; detach first so their
    // 'close' does not count as a loss.
    for (const job of conn.inFlight) {
      const stream = job.stream;
      if (stream === undefined) continue;
      if (stream.id === undefined || stream.id > lastStreamID) {
        stream[kJob] = undefined;
        this.untrack(conn, job);
        job.connection = undefined;
        this.resendUnprocessed(job);
      }
    }
    this.retire(conn);
    this.pump();
  }

  /** No new streams on this connection; what is in flight may still finish. */
  private retire(conn: Connection): void {
    if (conn.state === 'closed' || conn.state === 'draining') return;
    const wasReady = conn.state === 'ready';
    conn.state = 'draining';
    const i = this.active.indexOf(conn);
    if (i >= 0) this.active.splice(i, 1);
    this.draining.add(conn);
    clearInterval(conn.pingTimer);
    if (!wasReady) clearTimeout(conn.connectTimer);
    if (conn.inFlight.size === 0) this.closeConnection(conn).catch(() => undefined);
  }

  private onSessionClose(conn: Connection): void {
    const wasConnecting = conn.state === 'connecting';
    conn.state = 'closed';
    clearInterval(conn.pingTimer);
    clearTimeout(conn.connectTimer);
    const i = this.active.indexOf(conn);
    if (i >= 0) this.active.splice(i, 1);
    this.draining.delete(conn);
    // Normally every stream has closed already; anything left was cut off with the connection.
    for (const job of [...conn.inFlight]) {
      const stream = job.stream;
      if (stream !== undefined) stream[kJob] = undefined;
      this.untrack(conn, job);
      job.connection = undefined;
      if (job.timedOut) {
        this.counters.timeouts++;
        this.finish(job, { outcome: 'retryable', status: 0, reason: 'Timeout' });
      } else {
        this.resendAfterLoss(job, conn.goawayReason ?? conn.lastError ?? 'ConnectionLost');
      }
    }
    if (wasConnecting) {
      this.connectFailed(conn, conn.error ?? new Error(conn.lastError ?? 'connection closed before SETTINGS'));
      return;
    }
    this.pump();
  }

  private connectFailed(conn: Connection, err: unknown): void {
    if (conn.failed) return;
    conn.failed = true;
    conn.state = 'closed';
    clearTimeout(conn.connectTimer);
    const i = this.active.indexOf(conn);
    if (i >= 0) this.active.splice(i, 1);
    conn.session?.destroy();
    this.counters.connectionFailures++;
    this.consecutiveConnectFailures++;
    const backoff = Math.min(RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_BASE_MS * 2 ** (this.consecutiveConnectFailures - 1));
    this.nextConnectAt = Date.now() + backoff;
    if (this.consecutiveConnectFailures > this.maxRetries && this.active.every((c) => c.state !== 'ready')) {
      // APNs has been unreachable for every attempt: answer the backlog instead of holding it forever.
      const result = connectionFailureResult(err);
      this.consecutiveConnectFailures = 0;
      while (this.queued > 0) this.finish(this.dequeue(), { ...result });
    }
    this.pump();
  }

  private startPing(conn: Connection): void {
    conn.pingTimer = setInterval(() => {
      if (conn.inFlight.size === 0 && Date.now() - conn.lastActivity >= this.pingIntervalMs) this.ping(conn);
    }, this.pingIntervalMs);
    conn.pingTimer.unref();
  }

  /** An unanswered PING means the connection is dead even if TCP has not noticed: drop it. */
  private ping(conn: Connection): void {
    const session = conn.session;
    if (session === undefined || session.destroyed || conn.state === 'closed') return;
    const timer = setTimeout(() => {
      conn.lastError = 'PingTimeout';
      session.destroy();
    }, this.requestTimeoutMs);
    timer.unref();
    const sent = session.ping((err) => {
      clearTimeout(timer);
      if (err !== null) {
        conn.lastError = `PingFailed: ${describe(err)}`;
        session.destroy();
      } else {
        conn.lastActivity = Date.now();
      }
    });
    if (!sent) clearTimeout(timer); // too many PINGs outstanding already; one of those will decide
  }

  private closeConnection(conn: Connection): Promise<void> {
    const session = conn.session;
    clearInterval(conn.pingTimer);
    clearTimeout(conn.connectTimer);
    if (session === undefined || session.closed || session.destroyed) {
      if (session === undefined) {
        conn.state = 'closed';
        this.draining.delete(conn);
        const i = this.active.indexOf(conn);
        if (i >= 0) this.active.splice(i, 1);
      }
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => session.close(resolve));
  }
}

const HEX = /^[0-9a-fA-F]+$/;

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function goawayReason(opaqueData: Buffer | undefined): string | undefined {
  if (opaqueData === undefined || opaqueData.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(opaqueData.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const reason: unknown = (parsed as { reason?: unknown }).reason;
      if (typeof reason === 'string') return reason;
    }
  } catch {
    // not JSON: APNs only documents a JSON body
  }
  return undefined;
}

/**
 * A TLS alert from the server about our certificate (unknown CA, expired, revoked, required) will not go away
 * by retrying: the push certificate needs attention. Everything else at the network level is retryable.
 */
function connectionFailureResult(err: unknown): PushResult {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  const text = describe(err);
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE)/.test(code ?? text)) {
    return { outcome: 'certificate-error', status: 0, reason: text };
  }
  return { outcome: 'retryable', status: 0, reason: text };
}
