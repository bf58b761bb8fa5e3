import * as http from 'node:http';
import type { Socket } from 'node:net';

export class ProxyConnectError extends Error {
  constructor(
    message: string,
    /** HTTP status the proxy answered the CONNECT with; undefined when it never answered. */
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'ProxyConnectError';
  }
}

/**
 * Opens a raw TCP tunnel to `host:port` through an HTTP CONNECT proxy (the usual `HTTPS_PROXY`). TLS is
 * layered on the returned socket by the caller, so the proxy never sees the push certificate or payloads.
 * Credentials in the URL (`http://user:pass@proxy:3128`) are sent as Basic `Proxy-Authorization`.
 */
export function connectViaProxy(proxyUrl: string, host: string, port: number, timeoutMs: number): Promise<Socket> {
  let proxy: URL;
  try {
    proxy = new URL(proxyUrl);
  } catch {
    return Promise.reject(new ProxyConnectError(`proxy URL "${proxyUrl}" is not a valid URL`));
  }
  if (proxy.protocol !== 'http:') {
    return Promise.reject(new ProxyConnectError(`proxy URL must be http://host:port (got ${proxy.protocol})`));
  }
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: http.OutgoingHttpHeaders = { host: target };
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return new Promise<Socket>((resolve, reject) => {
    const req = http.request({
      host: stripBrackets(proxy.hostname),
      port: proxy.port === '' ? 80 : Number(proxy.port),
      method: 'CONNECT',
      path: target,
      headers,
      // A pooled agent would try to reuse the tunnel socket for other requests.
      agent: false,
      timeout: timeoutMs,
    });
    req.once('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      req.setTimeout(0);
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProxyConnectError(`proxy refused CONNECT ${target}: ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trim(), res.statusCode));
        return;
      }
      // Bytes the proxy relayed after its answer belong to the TLS handshake.
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('timeout', () => req.destroy(new ProxyConnectError(`proxy CONNECT ${target} timed out after ${timeoutMs} ms`)));
    req.once('error', (err) => reject(err instanceof ProxyConnectError ? err : new ProxyConnectError(`proxy CONNECT ${target} failed: ${err.message}`)));
    req.end();
  });
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
