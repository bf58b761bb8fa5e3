import { type FastRoute, verifiedDeviceCert } from '@mdm/service-kit';
import type { ConnectService } from './connect.service';

/** What a device may answer with in one connect (an inventory answer with many certificates or apps). */
const MAX_CONNECT_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Internal: the gateway forwards verified connect requests here, body untouched. Every device connect is
 * one of these, so it is served ahead of Express and Nest (`serveFastRoutes`). Answers the next command
 * plist (or nothing) with 200; errors as `{ statusCode, message }` JSON.
 */
export function connectRoute(connect: ConnectService): FastRoute {
  return {
    method: 'PUT',
    path: '/internal/connect',
    maxBodyBytes: MAX_CONNECT_BODY_BYTES,
    handle: async (req, body, res) => {
      const plist = await connect.handle(body, verifiedDeviceCert(req.headers));
      res.statusCode = 200;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(plist));
      res.end(plist);
    },
  };
}
