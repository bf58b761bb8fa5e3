import { BadRequestException, Controller, Get, Logger, type OnApplicationShutdown, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { setRouteLabel } from '@mdm/service-kit';
import { UpstreamClient } from '../upstream/upstream.client';

/** How long the stream waits for new events when the log had nothing more. */
const POLL_MS = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** Filters passed on to the event log; anything else is refused so a typo never streams everything. */
const FILTERS = ['type', 'udid'] as const;

interface LogPage {
  events: Array<{ id: string; type: string; cursor: string }>;
  next: string | null;
  hasMore: boolean;
}

/**
 * `GET /v1/events/stream`: the event log as server-sent events, for consoles and integrations that want
 * events as they happen without running a webhook receiver. Each event is sent with `id:` = its cursor,
 * so a client that reconnects with `Last-Event-ID` (EventSource does) resumes exactly where it was.
 * Without a cursor the stream starts at the end of the log (only new events); `?after=` starts elsewhere.
 * It follows the log through the enrollment service's `GET /v1/events`, so it serves settled events only,
 * in the same order and with the same filters (`type`, including `command.*`, and `udid`).
 */
@Controller('v1/events')
export class EventStreamController implements OnApplicationShutdown {
  private readonly logger = new Logger(EventStreamController.name);
  private readonly open = new Set<Response>();
  private closing = false;

  constructor(private readonly upstream: UpstreamClient) {}

  @Get('stream')
  async stream(@Req() req: Request, @Res() res: Response): Promise<void> {
    setRouteLabel(res, '/v1/events/stream');
    const params = new URL(req.originalUrl, 'http://gateway').searchParams;
    const filters = new URLSearchParams();
    for (const [key, value] of params) {
      if ((FILTERS as readonly string[]).includes(key)) filters.append(key, value);
      else if (key !== 'after') throw new BadRequestException(`unknown parameter ${key}; the stream takes ${[...FILTERS, 'after'].join(', ')}`);
    }
    const lastEventId = req.headers['last-event-id'];
    let cursor = (typeof lastEventId === 'string' && lastEventId) || params.get('after') || (await this.end(filters));
    // The first read checks the filters and cursor: a bad one is a 400 before the stream starts.
    let page = await this.page(filters, cursor);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: ${POLL_MS * 3}\n\n`);
    this.open.add(res);
    let closed = false;
    req.on('close', () => (closed = true));
    let lastWrite = Date.now();
    try {
      while (!closed && !this.closing) {
        for (const e of page.events) res.write(`id: ${e.cursor}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        if (page.events.length) lastWrite = Date.now();
        cursor = page.next ?? cursor;
        if (!page.hasMore) {
          if (Date.now() - lastWrite >= KEEPALIVE_MS) {
            res.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        if (closed || this.closing) break;
        page = await this.page(filters, cursor).catch((err: unknown) => {
          // The log is briefly unreachable (a restart): say so and keep the cursor.
          this.logger.warn(`event stream: ${(err as Error).message}`);
          res.write(`: waiting for the event log (${(err as Error).message})\n\n`);
          return { events: [], next: cursor ?? null, hasMore: false };
        });
      }
    } finally {
      this.open.delete(res);
      res.end();
    }
  }

  /** Ends open streams so a shutdown is not held up by them; clients reconnect with Last-Event-ID. */
  onApplicationShutdown(): void {
    this.closing = true;
    for (const res of this.open) res.end();
  }

  private async page(filters: URLSearchParams, cursor: string | undefined): Promise<LogPage> {
    const q = new URLSearchParams(filters);
    q.set('limit', '500');
    if (cursor) q.set('after', cursor);
    const answer = await this.upstream.forward('enrollment', 'GET', `/v1/events?${q.toString()}`, {});
    const body = answer.body.toString('utf8');
    if (answer.status === 400) throw new BadRequestException((JSON.parse(body) as { message?: string }).message ?? body);
    if (answer.status !== 200) throw new Error(`event log answered ${answer.status}`);
    return JSON.parse(body) as LogPage;
  }

  /** The cursor of the newest event matching the filters: a stream without a cursor starts after it. */
  private async end(filters: URLSearchParams): Promise<string | undefined> {
    const q = new URLSearchParams(filters);
    q.set('order', 'desc');
    q.set('limit', '1');
    const answer = await this.upstream.forward('enrollment', 'GET', `/v1/events?${q.toString()}`, {});
    if (answer.status === 400) throw new BadRequestException((JSON.parse(answer.body.toString('utf8')) as { message?: string }).message);
    if (answer.status !== 200) return undefined;
    return (JSON.parse(answer.body.toString('utf8')) as LogPage).events[0]?.cursor;
  }
}
