import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PushResult } from './apns-response';
import type { ApnsClientStats } from './apns-types';
import { type Job } from './apns-job';
import { connectViaProxy } from './proxy';

/** A peer that advertises no limit would let nghttp2 buffer without bound; APNs itself advertises 1000. */
const MAX_STREAMS_CAP = 1000;
const RECONNECT_BACKOFF_BASE_MS = 50;
const RECONNECT_BACKOFF_MAX_MS = 5000;

type ConnectionState = 'connecting' | 'ready' | 'draining' | 'closed';

/** One HTTP/2 session and the pushes in flight on it. */
export class Connection {
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

/** Where to reach APNs and how: built once per client. */
export interface PoolSettings {
  authority: URL;
  host: string;
  port: number;
  secureContext: tls.SecureContext;
  proxyUrl: string | undefined;
  poolSize: number;
  requestTimeoutMs: number;
  pingIntervalMs: number;
  maxRetries: number;
}

/** What the pool asks of the dispatcher that owns the pushes. */
export interface PoolOwner {
  /** Pushes waiting for room. */
  readonly queued: number;
  /** Room may have appeared (or a connection gone): dispatch what can be. */
  pump(): void;
  /** A push the server provably never processed (beyond a GOAWAY's last stream): re-send it, free. */
  unprocessed(conn: Connection, job: Job): void;
  /** A push cut off with its connection: it may have been processed, so a re-send spends a retry. */
  cutOff(conn: Connection, job: Job): void;
  /** APNs could not be reached on any attempt: answer the backlog with this. */
  unreachable(result: PushResult): void;
}

/**
 * The client's HTTP/2 connections to APNs: opened on demand up to the pool size (one probe at a time
 * with backoff while the server fails), PINGed when idle, retired on GOAWAY, closed when drained.
 */
export class ConnectionPool {
  /** Connections that take new streams (or will once connected). */
  readonly active: Connection[] = [];
  /** Retired connections finishing their streams. */
  readonly draining = new Set<Connection>();
  private consecutiveConnectFailures = 0;
  private nextConnectAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly settings: PoolSettings,
    private readonly owner: PoolOwner,
    private readonly counters: ApnsClientStats,
  ) {}

  /** Every connection that may hold pushes. */
  all(): Connection[] {
    return [...this.active, ...this.draining];
  }

  /** The ready connection with the most room, so load spreads over the pool. */
  pick(): Connection | undefined {
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

  grow(): void {
    if (this.active.length >= this.settings.poolSize) return;
    // Each connecting session advertises room for the backlog soon; don't open more than the backlog needs.
    const connecting = this.active.filter((c) => c.state === 'connecting').length;
    if (connecting > 0 && this.owner.queued <= connecting) return;
    const wait = this.nextConnectAt - Date.now();
    if (wait > 0) {
      if (this.reconnectTimer === undefined) {
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = undefined;
          this.owner.pump();
        }, wait);
      }
      return;
    }
    while (this.active.length < this.settings.poolSize) {
      const conn = new Connection();
      this.active.push(conn);
      this.open(conn).catch((err: unknown) => this.connectFailed(conn, err));
      if (this.consecutiveConnectFailures > 0) break; // probe with one connection while the server is failing
    }
  }

  stopReconnecting(): void {
    clearTimeout(this.reconnectTimer);
  }

  private async open(conn: Connection): Promise<void> {
    const { requestTimeoutMs, proxyUrl, host, port } = this.settings;
    conn.connectTimer = setTimeout(() => {
      conn.connectTimer = undefined;
      if (conn.state === 'connecting') {
        const err = new Error(`connecting to APNs timed out after ${requestTimeoutMs} ms`);
        if (conn.session !== undefined) conn.session.destroy(err);
        else this.connectFailed(conn, err);
      }
    }, requestTimeoutMs);
    conn.connectTimer.unref();

    const tunnel = proxyUrl === undefined ? undefined : await connectViaProxy(proxyUrl, host, port, requestTimeoutMs);
    if (conn.state !== 'connecting') {
      tunnel?.destroy();
      return;
    }
    const session = this.connect(conn, tunnel);
    conn.session = session;
    // Destroying a TLS socket layered on a proxy tunnel leaves the tunnel's TCP connection open.
    if (tunnel !== undefined) session.once('close', () => tunnel.destroy());
    this.counters.connectionsOpened++;

    session.on('remoteSettings', (settings: http2.Settings) => this.onSettings(conn, settings));
    session.on('goaway', (errorCode: number, lastStreamID: number, opaqueData?: Buffer) =>
      this.onGoaway(conn, errorCode, lastStreamID, opaqueData),
    );
    session.on('error', (err: Error) => {
      conn.error = err;
      conn.lastError = describe(err);
    });
    session.on('close', () => this.onSessionClose(conn));
  }

  private connect(conn: Connection, tunnel: Duplex | undefined): http2.ClientHttp2Session {
    const { host, port, secureContext, authority } = this.settings;
    const tlsOptions: tls.ConnectionOptions = {
      host,
      port,
      // SNI must not carry an IP address; identity is still checked against `host`.
      servername: isIP(host) ? undefined : host,
      ALPNProtocols: ['h2'],
      secureContext,
    };
    if (tunnel !== undefined) tlsOptions.socket = tunnel;
    return http2.connect(authority, {
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
  }

  private onSettings(conn: Connection, settings: http2.Settings): void {
    const advertised = settings.maxConcurrentStreams ?? MAX_STREAMS_CAP;
    conn.maxStreams = Math.max(0, Math.min(advertised, MAX_STREAMS_CAP));
    if (conn.state === 'connecting') {
      conn.state = 'ready';
      clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
      this.consecutiveConnectFailures = 0;
      this.nextConnectAt = 0;
      this.startPing(conn);
      if (conn.inFlight.size === 0) conn.session?.unref();
    }
    this.owner.pump();
  }

  private onGoaway(conn: Connection, errorCode: number, lastStreamID: number, opaqueData: Buffer | undefined): void {
    this.counters.goawaysReceived++;
    conn.goawayReason = goawayReason(opaqueData) ?? (errorCode === 0 ? 'GoAway' : `GoAway(${errorCode})`);
    // Streams above lastStreamID were never processed (RFC 9113 §6.8): re-send them now, on another
    // connection, without spending a retry.
    for (const job of conn.inFlight) {
      const stream = job.stream;
      if (stream === undefined) continue;
      if (stream.id === undefined || stream.id > lastStreamID) this.owner.unprocessed(conn, job);
    }
    this.retire(conn);
    this.owner.pump();
  }

  /** No new streams on this connection; what is in flight may still finish. */
  retire(conn: Connection): void {
    if (conn.state === 'closed' || conn.state === 'draining') return;
    const wasReady = conn.state === 'ready';
    conn.state = 'draining';
    const i = this.active.indexOf(conn);
    if (i >= 0) this.active.splice(i, 1);
    this.draining.add(conn);
    clearInterval(conn.pingTimer);
    if (!wasReady) clearTimeout(conn.connectTimer);
    if (conn.inFlight.size === 0) this.close(conn).catch(() => undefined);
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
    for (const job of [...conn.inFlight]) this.owner.cutOff(conn, job);
    if (wasConnecting) {
      this.connectFailed(conn, conn.error ?? new Error(conn.lastError ?? 'connection closed before SETTINGS'));
      return;
    }
    this.owner.pump();
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
    if (this.consecutiveConnectFailures > this.settings.maxRetries && this.active.every((c) => c.state !== 'ready')) {
      // APNs has been unreachable for every attempt: answer the backlog instead of holding it forever.
      this.consecutiveConnectFailures = 0;
      this.owner.unreachable(connectionFailureResult(err));
    }
    this.owner.pump();
  }

  private startPing(conn: Connection): void {
    const every = this.settings.pingIntervalMs;
    conn.pingTimer = setInterval(() => {
      if (conn.inFlight.size === 0 && Date.now() - conn.lastActivity >= every) this.ping(conn);
    }, every);
    conn.pingTimer.unref();
  }

  /** An unanswered PING means the connection is dead even if TCP has not noticed: drop it. */
  ping(conn: Connection): void {
    const session = conn.session;
    if (session === undefined || session.destroyed || conn.state === 'closed') return;
    const timer = setTimeout(() => {
      conn.lastError = 'PingTimeout';
      session.destroy();
    }, this.settings.requestTimeoutMs);
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

  close(conn: Connection): Promise<void> {
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

export function describe(err: unknown): string {
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
