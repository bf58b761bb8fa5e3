import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago. Another process can take it before the caller binds it:
 * starts that can fail so (EADDRINUSE) are tried again on other ports.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
