import type * as http2 from 'node:http2';

/* What APNs checks in a request and what the fake records of it. */

export interface RecordedPush {
  /** From the path `/3/device/<token>`; '' when the path has no token. */
  token: string;
  /** `apns-topic`; '' when absent. */
  topic: string;
  /** `apns-push-type`; '' when absent. */
  pushType: string;
  /** `apns-priority`; 10 when absent (APNs's default), NaN when not a number. */
  priority: number;
  /** `apns-expiration`; 0 when absent, NaN when not a number. */
  expiration: number;
  apnsId?: string;
  /** The JSON body parsed, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  receivedAt: number;
  /** Lowercase hex SHA-256 of the client certificate's DER. */
  clientCertFingerprint?: string;
  method: string;
  path: string;
  /** HTTP/2 stream id on its connection (odd, increasing), for GOAWAY last-stream-id reasoning. */
  streamId: number;
  /** Which connection it came on: 1 for the first the fake accepted, and so on. */
  connection: number;
  /** When the 200 went out (ms since the epoch); only on accepted pushes. */
  answeredAt?: number;
}

export interface FakeAnswer {
  status: number;
  /** Sent as `{"reason": ...}`; required by APNs for every non-200. */
  reason?: string;
  /** For 410: ms since the epoch the token became invalid (defaults to now for 410). */
  timestamp?: number;
  /** Answer after this long (the request is in flight meanwhile, holding a stream). */
  delayMs?: number;
  /** Reset the stream with REFUSED_STREAM instead of answering: the client may safely re-send. */
  refuseStream?: boolean;
}

/** Apple's limit for a regular remote notification payload; an MDM payload is far smaller. */
export const MAX_PAYLOAD_BYTES = 4096;
const TOKEN = /^[0-9a-fA-F]{64,200}$/;
const TOPIC = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Headers whose repetition APNs rejects with DuplicateHeaders. */
const SINGLE_HEADERS = new Set(['apns-topic', 'apns-push-type', 'apns-priority', 'apns-expiration', 'apns-id', 'apns-collapse-id']);

export interface SessionInfo {
  /** 1 for the first connection accepted, and so on. */
  id: number;
  topic: string | undefined;
  fingerprint: string | undefined;
  open: number;
  lastStreamId: number;
  /** Set once we sent GOAWAY: streams above it must not be processed. */
  goawayLastStreamId: number | undefined;
  closeWhenIdle: boolean;
}

export function recordOf(headers: http2.IncomingHttpHeaders, body: Buffer, streamId: number, info: SessionInfo | undefined): RecordedPush {
  const path = headers[':path'] ?? '';
  const match = /^\/3\/device\/([^/?]*)$/.exec(path);
  const text = body.toString('utf8');
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const record: RecordedPush = {
    token: match?.[1] ?? '',
    topic: header(headers, 'apns-topic') ?? '',
    pushType: header(headers, 'apns-push-type') ?? '',
    priority: numberHeader(headers, 'apns-priority', 10),
    expiration: numberHeader(headers, 'apns-expiration', 0),
    body: parsed,
    receivedAt: Date.now(),
    method: headers[':method'] ?? '',
    path,
    streamId,
    connection: info?.id ?? 0,
  };
  const apnsId = header(headers, 'apns-id');
  if (apnsId !== undefined) record.apnsId = apnsId;
  if (info?.fingerprint !== undefined) record.clientCertFingerprint = info.fingerprint;
  return record;
}

/**
 * APNs's answer to a request that is wrong, in roughly the order APNs checks. Where Apple documents no reason
 * for a case we pick the nearest documented one: a body that is not `{"mdm": "<string>"}` gets PayloadEmpty
 * (there is no MDM payload in it), and a topic other than the client certificate's UID gets TopicDisallowed.
 */
export function validate(
  record: RecordedPush,
  headers: http2.IncomingHttpHeaders,
  rawHeaders: string[],
  size: number,
  info: SessionInfo | undefined,
): FakeAnswer {
  if (record.method !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
  if (!/^\/3\/device\/[^/?]*$/.test(record.path)) return { status: 404, reason: 'BadPath' };
  if (record.token === '') return { status: 400, reason: 'MissingDeviceToken' };
  if (!TOKEN.test(record.token) || record.token.length % 2 !== 0) return { status: 400, reason: 'BadDeviceToken' };
  if (hasDuplicateHeaders(rawHeaders)) return { status: 400, reason: 'DuplicateHeaders' };
  // Apple: without apns-topic the certificate's own topic applies, when it has exactly one (an MDM one does).
  const topic = header(headers, 'apns-topic') ?? info?.topic;
  if (topic === undefined || topic === '') return { status: 400, reason: 'MissingTopic' };
  if (!TOPIC.test(topic)) return { status: 400, reason: 'BadTopic' };
  if (info?.topic === undefined || topic !== info.topic) return { status: 400, reason: 'TopicDisallowed' };
  // apns-push-type is optional outside watchOS (Apple infers it); when sent, an MDM push must say `mdm`.
  if (header(headers, 'apns-push-type') !== undefined && record.pushType !== 'mdm') return { status: 400, reason: 'InvalidPushType' };
  if (![1, 5, 10].includes(record.priority)) return { status: 400, reason: 'BadPriority' };
  const expiration = header(headers, 'apns-expiration');
  if (expiration !== undefined && !/^\d{1,12}$/.test(expiration)) return { status: 400, reason: 'BadExpirationDate' };
  if (record.apnsId !== undefined && !UUID.test(record.apnsId)) return { status: 400, reason: 'BadMessageId' };
  const collapseId = header(headers, 'apns-collapse-id');
  if (collapseId !== undefined && Buffer.byteLength(collapseId) > 64) return { status: 400, reason: 'BadCollapseId' };
  if (size === 0) return { status: 400, reason: 'PayloadEmpty' };
  if (size > MAX_PAYLOAD_BYTES) return { status: 413, reason: 'PayloadTooLarge' };
  const body = record.body;
  if (typeof body !== 'object' || body === null || typeof (body as { mdm?: unknown }).mdm !== 'string' || (body as { mdm: string }).mdm === '') {
    return { status: 400, reason: 'PayloadEmpty' };
  }
  return { status: 200 };
}

function hasDuplicateHeaders(rawHeaders: string[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}

function header(headers: http2.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function numberHeader(headers: http2.IncomingHttpHeaders, name: string, fallback: number): number {
  const value = header(headers, name);
  if (value === undefined) return fallback;
  return /^\d+$/.test(value) ? Number(value) : NaN;
}
