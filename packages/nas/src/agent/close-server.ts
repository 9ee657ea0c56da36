// Closing the WebDAV server without waiting out keep-alive: Node's server.close() lets requests in flight finish
// but leaves their connections open afterwards until the keep-alive deadline (30 s here), far past the
// shutdown bound; so connections are closed as each becomes idle.

import type { Server } from 'node:http';

/**
 * Emitted on the server when it starts to stop: answers that would otherwise last for ever (the files API's
 * folder watches) end then, so they do not hold the stop until its bound.
 */
export const SERVER_STOPPING = 'homeport:stopping';

/** How often idle connections are looked for while requests in flight finish. */
const IDLE_SWEEP_MS = 100;

/** Stops accepting, lets requests in flight finish, closes each connection once idle; resolves when all are gone. */
export function closeServer(server: Server): Promise<void> {
  server.emit(SERVER_STOPPING);
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
