import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HttpException, type INestApplication, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-unavailable.filter';
import { ServiceMetrics } from './metrics';
import { isValidRequestId, REQUEST_ID_HEADER, runWithRequestId } from './request-context';

/** A route served straight off the HTTP server, ahead of Express and Nest: for a path every device request takes. */
export interface FastRoute {
  method: 'PUT' | 'POST';
  /** Matched exactly (case-insensitively, a trailing slash and a query string allowed), as Express would. */
  path: string;
  maxBodyBytes: number;
  /** Before the body is read: answers a refusal itself (`answerJson`) and returns false to stop. */
  admit?(req: IncomingMessage, res: ServerResponse): boolean;
  /** Answers the request; a thrown HttpException is answered as Nest answers it. */
  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void>;
}

/**
 * Serves `routes` before the app's Express stack sees the request, with what that stack gives every request:
 * a request id (adopted or made, answered, bound for log lines and onward calls), the HTTP metrics under the
 * route's path, a bounded raw body, errors as `{ statusCode, message }` JSON (503 with Retry-After when Postgres
 * is away, as DatabaseUnavailableFilter). No access log line on success: the metrics count those.
 * Any other request goes to Express as before.
 */
const logger = new Logger('FastRoute');

export function serveFastRoutes(app: INestApplication, routes: readonly FastRoute[]): void {
  const server = app.getHttpServer() as Server;
  const metrics = app.get(ServiceMetrics);
  const byPath = new Map(routes.map((r) => [r.path.toLowerCase(), r]));
  const others = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const route = byPath.get(pathOf(req.url));
    if (route && route.method === req.method) serve(route, req, res, metrics);
    else for (const listener of others) listener.call(server, req, res);
  });
}

function pathOf(url: string | undefined): string {
  let path = url ?? '/';
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path.toLowerCase();
}

function serve(route: FastRoute, req: IncomingMessage, res: ServerResponse, metrics: ServiceMetrics): void {
  const started = process.hrtime.bigint();
  const incoming = req.headers[REQUEST_ID_HEADER];
  const requestId = isValidRequestId(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, requestId);
  let recorded = false;
  const record = (): void => {
    if (recorded) return;
    recorded = true;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observeRequest(route.method, route.path, res.statusCode, seconds);
    if (res.statusCode >= 400) logger.log({ msg: 'request', method: route.method, route: route.path, status: res.statusCode, durationMs: Math.round(seconds * 1e4) / 10 });
  };
  res.once('finish', record);
  res.once('close', record);
  const admit = route.admit;
  if (admit && !runWithRequestId(requestId, () => admit(req, res))) return;
  // Bound when the body has arrived: the request's events run in the socket's context, not in this one.
  readBody(req, res, route.maxBodyBytes, (body) =>
    runWithRequestId(requestId, () => route.handle(req, body, res).catch((err: unknown) => answerError(res, err))),
  );
}

/** Reads the whole body, or answers 413/415 (and reads no further) when it is too large or encoded. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, then: (body: Buffer) => void): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    answerJson(res, 415, { statusCode: 415, message: `request body could not be read: content-encoding "${encoding}" is not accepted here` });
    return;
  }
  const tooLarge = () => {
    res.setHeader('connection', 'close');
    answerJson(res, 413, { statusCode: 413, message: `request body is larger than the limit of ${limit} bytes` });
  };
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      req.removeAllListeners('data');
      req.removeAllListeners('end');
      req.resume();
      tooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => then(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
}

/** A JSON answer, as Express's res.json writes it. */
export function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** An error as Nest's filters answer it: HttpException as is, 503 when Postgres is away, 500 (logged) otherwise. */
export function answerError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (err instanceof HttpException) {
    const answer = err.getResponse();
    answerJson(res, err.getStatus(), typeof answer === 'string' ? { statusCode: err.getStatus(), message: answer } : answer);
  } else if (isDatabaseUnavailable(err)) {
    // Nothing was applied (the transaction died with the connection): the client simply retries.
    answerJson(res, 503, { statusCode: 503, message: 'the database is unavailable (restarting or unreachable); nothing was changed, retry shortly' }, { 'retry-after': '5' });
  } else {
    logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    answerJson(res, 500, { statusCode: 500, message: 'Internal server error' });
  }
}
