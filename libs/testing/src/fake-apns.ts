import { randomUUID, X509Certificate } from 'node:crypto';
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { subjectUid } from '@mdm/pki';
import { MAX_PAYLOAD_BYTES, recordOf, UUID, validate, type FakeAnswer, type RecordedPush, type SessionInfo } from './fake-apns-requests';
import { createFakeApnsCertificates, issueFakePushCertificate, type FakeApnsCertificates, type PushCertificateOptions } from './fake-apns-certs';

export type FakeApnsHandler = (req: RecordedPush) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

export interface FakeApnsOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** SETTINGS_MAX_CONCURRENT_STREAMS sent on each new connection. Default 1000, like APNs. */
  maxConcurrentStreams?: number;
  /**
   * More DNS names for the server certificate, e.g. `api.push.apple.com` for a client that cannot be pointed
   * elsewhere and reaches the fake through its hosts file.
   */
  serverNames?: string[];
}

/**
 * An in-process stand-in for APNs: a real HTTP/2 server over TLS that requires a client certificate from its
 * own "Apple" CA, checks requests the way APNs does, records them, and can be scripted to answer errors,
 * answer slowly, refuse streams, change its stream limit or send GOAWAY.
 */
export class FakeApns {
  readonly url: string;
  readonly caPem: string;
  readonly clientCaPem: string;
  readonly pushes: RecordedPush[] = [];
  readonly requests: RecordedPush[] = [];

  private handler: FakeApnsHandler | undefined;
  private maxStreams: number;
  private observed = 0;
  private readonly sessionInfo = new Map<http2.ServerHttp2Session, SessionInfo>();
  private sessionsAccepted = 0;
  /** Every TCP connection, HTTP/2 or not (a refused TLS handshake never becomes a session). */
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: http2.Http2SecureServer,
    private readonly certs: FakeApnsCertificates,
    url: string,
    maxStreams: number,
  ) {
    this.url = url;
    this.caPem = certs.serverCa.certPem;
    this.clientCaPem = certs.clientCa.certPem;
    this.maxStreams = maxStreams;
    server.on('session', (session) => this.onSession(session));
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
      this.onStream(stream, headers, rawHeaders),
    );
    // A client that presents no or a foreign certificate fails the handshake; that is the point, not an error.
    server.on('tlsClientError', () => undefined);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('sessionError', () => undefined);
  }

  static async start(opts: FakeApnsOptions = {}): Promise<FakeApns> {
    const host = opts.host ?? '127.0.0.1';
    const maxStreams = opts.maxConcurrentStreams ?? 1000;
    const certs = await createFakeApnsCertificates(host, opts.serverNames);
    const server = http2.createSecureServer({
      cert: certs.server.certPem,
      key: certs.server.keyPem,
      ca: [certs.clientCa.certPem],
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
      settings: { maxConcurrentStreams: maxStreams },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return new FakeApns(server, certs, `https://${urlHost}:${port}`, maxStreams);
  }

  /** A push certificate this fake accepts (signed by its client CA); the topic is the subject UID. */
  issuePushCertificate(opts?: PushCertificateOptions): Promise<{ certPem: string; keyPem: string; topic: string }> {
    return issueFakePushCertificate(this.certs.clientCa, opts);
  }

  /** The highest number of streams open at once on any single connection since start or reset(). */
  get maxConcurrentObserved(): number {
    return this.observed;
  }

  /** Connections currently open. A destroyed session counts as gone even before its 'close' fires. */
  get sessions(): number {
    let open = 0;
    for (const session of this.sessionInfo.keys()) if (!session.destroyed) open++;
    return open;
  }

  /** Resolves with the accepted pushes once there are at least `count`; rejects after `timeoutMs` (default 5000). */
  waitForPushes(count: number, timeoutMs = 5000): Promise<RecordedPush[]> {
    if (this.pushes.length >= count) return Promise.resolve(this.pushes.slice());
    return new Promise<RecordedPush[]>((resolve, reject) => {
      const check = (): void => {
        if (this.pushes.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.pushes.slice());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fake APNs: expected ${count} accepted pushes within ${timeoutMs} ms, got ${this.pushes.length} (${this.requests.length} requests)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Scripts answers; the handler sees every request, and undefined means the default answer. */
  respondWith(handler: FakeApnsHandler | undefined): void {
    this.handler = handler;
  }

  /** New SETTINGS to every connection and the limit for future ones. */
  setMaxConcurrentStreams(n: number): void {
    this.maxStreams = n;
    this.server.updateSettings({ maxConcurrentStreams: n });
    for (const session of this.sessionInfo.keys()) {
      if (!session.destroyed && !session.closed) session.settings({ maxConcurrentStreams: n });
    }
  }

  /**
   * Sends GOAWAY on every connection. `lastStreamId` defaults to the last stream each connection received
   * (so everything in flight completes); streams above it are refused, as APNs would not process them.
   * `errorCode` 0 (default) lets the connection drain; anything else is an abrupt shutdown. `reason` goes in
   * the GOAWAY debug data as APNs does (`{"reason":"Shutdown"}`).
   */
  goawayAll(opts: { lastStreamId?: number; errorCode?: number; reason?: string } = {}): void {
    const data = opts.reason === undefined ? undefined : Buffer.from(JSON.stringify({ reason: opts.reason }));
    for (const [session, info] of this.sessionInfo) {
      if (session.destroyed || session.closed) continue;
      const last = opts.lastStreamId ?? info.lastStreamId;
      info.goawayLastStreamId = last;
      session.goaway(opts.errorCode ?? 0, last, data);
      // Graceful: finish what is below the line, then hang up. Abrupt: the client hangs up (nghttp2 does).
      // Graceful: hang up once what is below the line has been answered (closing at once would reset those
      // streams). Abrupt: the client tears the connection down itself, as nghttp2 does on an error GOAWAY.
      if ((opts.errorCode ?? 0) === 0) {
        info.closeWhenIdle = true;
        if (info.open === 0) session.close();
      } else {
        // After an error GOAWAY APNs drops the connection; give the frame a moment to leave first.
        setTimeout(() => session.destroy(), 50).unref();
      }
    }
  }

  /** Hangs up on every client at once (no GOAWAY): a clean slate between tests. */
  dropSessions(): void {
    for (const session of this.sessionInfo.keys()) {
      if (!session.destroyed) session.destroy();
      this.sessionInfo.delete(session);
    }
  }

  /** Forgets recorded requests, the scripted handler and the observed maximum; connections stay. */
  reset(): void {
    this.pushes.length = 0;
    this.requests.length = 0;
    this.handler = undefined;
    this.observed = 0;
    for (const info of this.sessionInfo.values()) this.observed = Math.max(this.observed, info.open);
  }

  async close(): Promise<void> {
    for (const session of this.sessionInfo.keys()) session.destroy();
    // server.close() waits for every connection: end the ones that never became sessions too.
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get currentMaxConcurrentStreams(): number {
    return this.maxStreams;
  }

  private onSession(session: http2.ServerHttp2Session): void {
    const info: SessionInfo = { id: ++this.sessionsAccepted, topic: undefined, fingerprint: undefined, open: 0, lastStreamId: 0, goawayLastStreamId: undefined, closeWhenIdle: false };
    const peer = (session.socket as TLSSocket).getPeerX509Certificate?.();
    if (peer instanceof X509Certificate) {
      info.topic = subjectUid(peer);
      info.fingerprint = peer.fingerprint256.replace(/:/g, '').toLowerCase();
    }
    this.sessionInfo.set(session, info);
    session.on('close', () => this.sessionInfo.delete(session));
    session.on('error', () => undefined);
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
    const info = this.sessionInfo.get(stream.session as http2.ServerHttp2Session);
    if (info !== undefined) {
      info.open++;
      info.lastStreamId = Math.max(info.lastStreamId, stream.id ?? 0);
      this.observed = Math.max(this.observed, info.open);
      const session = stream.session as http2.ServerHttp2Session;
      stream.once('close', () => {
        info.open--;
        if (info.open === 0 && info.closeWhenIdle && !session.closed) session.close();
      });
    }
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      // Keep one byte past the limit: enough to know it is too large without buffering a flood.
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => {
      const record = recordOf(headers, Buffer.concat(chunks), stream.id ?? 0, info);
      this.requests.push(record);
      const fallback = validate(record, headers, rawHeaders, size, info);
      this.answer(stream, record, fallback, info).catch(() => {
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      });
    });
  }

  private async answer(stream: http2.ServerHttp2Stream, record: RecordedPush, fallback: FakeAnswer, info: SessionInfo | undefined): Promise<void> {
    const scripted = this.handler === undefined ? undefined : await this.handler(record);
    const answer = scripted ?? fallback;
    if (answer.delayMs !== undefined && answer.delayMs > 0) await sleep(answer.delayMs);
    if (stream.closed || stream.destroyed) return;
    if (info?.goawayLastStreamId !== undefined && record.streamId > info.goawayLastStreamId) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (answer.refuseStream) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const apnsId = record.apnsId !== undefined && UUID.test(record.apnsId) ? record.apnsId : randomUUID();
    if (answer.status === 200) {
      stream.respond({ ':status': 200, 'apns-id': apnsId }, { endStream: true });
      record.answeredAt = Date.now();
      this.pushes.push(record);
      for (const waiter of [...this.waiters]) waiter();
      return;
    }
    const body: { reason?: string; timestamp?: number } = {};
    if (answer.reason !== undefined) body.reason = answer.reason;
    const timestamp = answer.timestamp ?? (answer.status === 410 ? Date.now() : undefined);
    if (timestamp !== undefined) body.timestamp = timestamp;
    stream.respond({ ':status': answer.status, 'apns-id': apnsId, 'content-type': 'application/json' });
    stream.end(JSON.stringify(body));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
