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
