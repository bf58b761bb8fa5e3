import type { NextFunction, Request, Response } from 'express';

interface BodyParserError extends Error {
  status?: number;
  type?: string;
  limit?: number;
}

/**
 * Express error middleware for body parsing, registered right after the parsers: a body that is too
 * large or unreadable gets the right status and a JSON message saying so, like every other refusal,
 * instead of the framework's HTML error page.
 */
export function bodyErrors(err: BodyParserError, _req: Request, res: Response, next: NextFunction): void {
  if (!err.type || typeof err.status !== 'number') return next(err);
  const message =
    err.type === 'entity.too.large'
      ? `request body is larger than the limit of ${err.limit ?? '?'} bytes`
      : `request body could not be read: ${err.message}`;
  res.status(err.status).json({ statusCode: err.status, message });
}
