/**
 * What the caller should do with a push, decided from APNs's `reason` (never from message text):
 * - `sent`: APNs accepted it.
 * - `dead-token`: the token will never work for this topic again: stop pushing it, mark the device.
 * - `certificate-error`: the push certificate (or its topic/environment) is the problem: alert operators;
 *   every other push with the same certificate will fail the same way.
 * - `retryable`: APNs or the network is having trouble; try again later with backoff.
 * - `failed`: the request itself was wrong (a bug on our side); retrying the same request will not help.
 */
export type PushOutcome = 'sent' | 'dead-token' | 'certificate-error' | 'retryable' | 'failed';

export interface PushResult {
  outcome: PushOutcome;
  /** HTTP status from APNs; 0 when no answer came back (network failure, timeout, rejected locally). */
  status: number;
  apnsId?: string;
  reason?: string;
  /** Milliseconds since the epoch at which APNs learnt the token was no longer valid (410 only). */
  timestamp?: number;
  retryAfterMs?: number;
}

/**
 * Every reason in Apple's "Handling notification responses from APNs" table, with the status Apple documents
 * for it. Reasons that only concern token (JWT) authentication are listed too: they cannot happen with
 * certificate authentication, but if they ever do it is a credential problem, not a device problem.
 */
export const APNS_REASONS = {
  // 400
  BadCollapseId: 'failed',
  BadDeviceToken: 'dead-token',
  BadExpirationDate: 'failed',
  BadMessageId: 'failed',
  BadPriority: 'failed',
  BadTopic: 'failed',
  DeviceTokenNotForTopic: 'dead-token',
  DuplicateHeaders: 'failed',
  // The connection sat idle too long; the request was not delivered but will be on a fresh connection.
  IdleTimeout: 'retryable',
  InvalidPushType: 'failed',
  MissingDeviceToken: 'failed',
  MissingTopic: 'failed',
  PayloadEmpty: 'failed',
  // The certificate does not allow this topic: every push with this certificate fails alike.
  TopicDisallowed: 'certificate-error',
  // 403
  BadCertificate: 'certificate-error',
  BadCertificateEnvironment: 'certificate-error',
  ExpiredProviderToken: 'certificate-error',
  Forbidden: 'certificate-error',
  InvalidProviderToken: 'certificate-error',
  MissingProviderToken: 'certificate-error',
  UnrelatedKeyIdInToken: 'certificate-error',
  BadEnvironmentKeyIdInToken: 'certificate-error',
  // 404
  BadPath: 'failed',
  // 405
  MethodNotAllowed: 'failed',
  // 410
  ExpiredToken: 'dead-token',
  Unregistered: 'dead-token',
  // 413
  PayloadTooLarge: 'failed',
  // 429: TooManyProviderTokenUpdates is about JWT refreshes, TooManyRequests about one device token.
  TooManyProviderTokenUpdates: 'retryable',
  TooManyRequests: 'retryable',
  // 500 / 503
  InternalServerError: 'retryable',
  ServiceUnavailable: 'retryable',
  Shutdown: 'retryable',
} as const satisfies Record<string, Exclude<PushOutcome, 'sent'>>;

export type ApnsReason = keyof typeof APNS_REASONS;

export function isApnsReason(reason: string): reason is ApnsReason {
  return Object.prototype.hasOwnProperty.call(APNS_REASONS, reason);
}

/**
 * Classifies an APNs answer. `body` is the raw response body (`{"reason": "...", "timestamp": ...}` on error,
 * empty on success). `retryAfter` is the `retry-after` header when APNs sent one (seconds or an HTTP date).
 */
export function classifyApnsResponse(status: number, body: string, apnsId?: string, retryAfter?: string): PushResult {
  if (status === 200) return apnsId === undefined ? { outcome: 'sent', status } : { outcome: 'sent', status, apnsId };
  const parsed = parseErrorBody(body);
  const result: PushResult = { outcome: outcomeFor(status, parsed.reason), status };
  if (apnsId !== undefined) result.apnsId = apnsId;
  if (parsed.reason !== undefined) result.reason = parsed.reason;
  if (parsed.timestamp !== undefined) result.timestamp = parsed.timestamp;
  if (result.outcome === 'retryable' && retryAfter !== undefined) {
    const ms = parseRetryAfter(retryAfter);
    if (ms !== undefined) result.retryAfterMs = ms;
  }
  return result;
}

function outcomeFor(status: number, reason: string | undefined): Exclude<PushOutcome, 'sent'> {
  if (reason !== undefined && isApnsReason(reason)) return APNS_REASONS[reason];
  // An unknown or missing reason (Apple adds new ones): fall back on what the status means.
  if (status === 410) return 'dead-token';
  if (status === 403) return 'certificate-error';
  if (status === 429 || status >= 500) return 'retryable';
  return 'failed';
}

function parseErrorBody(body: string): { reason?: string; timestamp?: number } {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const out: { reason?: string; timestamp?: number } = {};
  const reason: unknown = (value as { reason?: unknown }).reason;
  const timestamp: unknown = (value as { timestamp?: unknown }).timestamp;
  if (typeof reason === 'string') out.reason = reason;
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) out.timestamp = timestamp;
  else if (typeof timestamp === 'string' && /^\d+$/.test(timestamp)) out.timestamp = Number(timestamp);
  return out;
}

function parseRetryAfter(value: string): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
