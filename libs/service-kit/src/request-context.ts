import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** The header a request id travels in: from the client, between services, and back in every answer. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What is known about the unit of work running now; every log line written inside it carries it. */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Visible ASCII only (no spaces, no control characters), 1 to 128 characters: safe to log and to echo. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && VALID_REQUEST_ID.test(value);
}

/** The request id of the request (or job) this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Runs `fn` with this request id bound: its log lines, and requests it forwards, carry it. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** `{ 'x-request-id': id }` for an outgoing call made on behalf of the current request, or nothing. */
export function requestIdHeaders(): Record<string, string> {
  const id = currentRequestId();
  return id === undefined ? {} : { [REQUEST_ID_HEADER]: id };
}

/**
 * The first middleware of every HTTP service: adopts a valid incoming `X-Request-Id` (from a client at the
 * gateway, from the gateway at the services behind it) or makes one (a UUID), answers it in the response,
 * and runs the rest of the request inside it (AsyncLocalStorage). A malformed id is replaced, not refused:
 * a tracing header must never be the reason a request fails.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const requestId = isValidRequestId(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, requestId);
  storage.run({ requestId }, next);
}
