import { HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable, verifiedDeviceCert } from '@mdm/service-kit';
import type { ConnectService } from './connect.service';

/** Internal: the gateway forwards verified connect requests here, body untouched. */
export const CONNECT_ROUTE = '/internal/connect';

const logger = new Logger('ConnectRoute');

/**
 * PUT /internal/connect as a plain Express handler, registered before Nest's router: every device
 * connect is one of these, so it skips the controller machinery. Answers as Nest would: the command
 * plist (or nothing) with 200; `{ statusCode, message }` JSON otherwise, 503 when Postgres is away.
 */
export function connectRoute(connect: ConnectService): (req: Request, res: Response) => void {
  return (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let answered: Promise<string>;
    try {
      answered = connect.handle(body, verifiedDeviceCert(req.headers));
    } catch (err) {
      fail(res, err);
      return;
    }
    answered.then(
      (plist) => {
        res.status(200).setHeader('content-type', 'text/html; charset=utf-8');
        res.end(plist);
      },
      (err: unknown) => fail(res, err),
    );
  };
}

function fail(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (err instanceof HttpException) {
    const answer = err.getResponse();
    res.status(err.getStatus()).json(typeof answer === 'string' ? { statusCode: err.getStatus(), message: answer } : answer);
  } else if (isDatabaseUnavailable(err)) {
    // Nothing was applied (the transaction died with the connection): the device simply retries.
    res.setHeader('retry-after', '5');
    res.status(503).json({ statusCode: 503, message: 'the database is unavailable (restarting or unreachable); nothing was changed, retry shortly' });
  } else {
    logger.error(err instanceof Error ? err.stack ?? err.message : String(err), 'connect failed');
    res.status(500).json({ statusCode: 500, message: 'Internal server error' });
  }
}
