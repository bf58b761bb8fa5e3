import type { Server } from 'node:http';

export interface HttpTimeouts {
  /** The header block must be complete within this (Node's default is 60 s). */
  headersTimeoutMs: number;
  /** Headers and body must be complete within this (Node's default is 300 s). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /**
   * A socket with no traffic either way is destroyed after this: a client that stops reading its
   * answer. Must exceed the longest a handler may take to answer.
   */
  socketIdleTimeoutMs: number;
}

/**
 * Sets a Node HTTP server's timeouts against slow clients (slowloris: headers or body trickled a
 * byte at a time to hold sockets open). Call before listen: Node starts the sweep that enforces
 * headers and request timeouts when the server starts listening, every `connectionsCheckingInterval`
 * (30 s by default, here a quarter of the headers timeout, at most 5 s, so the timeouts are
 * enforced close to their value).
 */
export function applyHttpTimeouts(server: Server, t: HttpTimeouts): void {
  if (t.headersTimeoutMs > t.requestTimeoutMs) throw new RangeError('headersTimeoutMs must not exceed requestTimeoutMs');
  server.headersTimeout = t.headersTimeoutMs;
  server.requestTimeout = t.requestTimeoutMs;
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  server.setTimeout(t.socketIdleTimeoutMs);
  // Not in @types/node's Server type as a writable property, but read by Node when it starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(250, Math.min(5000, Math.floor(t.headersTimeoutMs / 4)));
}
