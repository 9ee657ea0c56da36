// Free TCP ports on loopback for the servers a test starts.

import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago: binds port 0, reads what the kernel chose, closes.
 * Another process may take it before the caller binds it; startHomeport retries on EADDRINUSE for that reason.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      // listen() on a TCP host always yields an AddressInfo; a string only comes from a pipe path.
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close((error) => {
        if (error) reject(error);
        else if (port === undefined) reject(new Error('freePort: the server reported no TCP port'));
        else resolve(port);
      });
    });
  });
}
