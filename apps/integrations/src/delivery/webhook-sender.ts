import { type AttemptResult, parseRetryAfter } from './retry-policy';
import { SIGNATURE_HEADER, signatureHeader } from './signature';

export interface OutgoingDelivery {
  url: string;
  secret: string;
  body: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  /** Sent as `X-Request-Id`: the correlation id of the API call behind the event (command events). */
  requestId?: string;
}

/** How much of a failed answer's body is kept for the attempt log. */
const KEEP_BODY_BYTES = 1024;

/** Reads at most `limit` bytes of a body and drops the rest (a receiver's error page can be anything). */
async function readSome(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * One signed POST (Node's fetch, undici, keeps connections to a receiver alive). Never throws: a timeout or
 * a network error is a result like an HTTP status. Redirects are not followed (a 3xx is a failed attempt),
 * so the signed body never goes anywhere but the configured URL.
 */
export async function sendWebhook(delivery: OutgoingDelivery, timeoutMs: number, now: () => number = Date.now): Promise<AttemptResult> {
  const timestamp = Math.floor(now() / 1000);
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'mdm-webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(delivery.secret, timestamp, delivery.body),
        'x-mdm-event-id': delivery.eventId,
        'x-mdm-delivery-id': delivery.deliveryId,
        'x-mdm-event-type': delivery.eventType,
        ...(delivery.requestId !== undefined ? { 'x-request-id': delivery.requestId } : {}),
      },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const ok = res.status >= 200 && res.status < 300;
    let body: string | undefined;
    if (ok) await res.body?.cancel().catch(() => undefined);
    else body = await readSome(res, KEEP_BODY_BYTES);
    return { kind: 'http', status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')), body };
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { kind: 'timeout' };
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
    return { kind: 'network', message: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
