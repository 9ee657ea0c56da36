// The port the worker pool's primary picks when port 0 was asked for.

import { createServer } from 'node:net';

/**
 * A port for the workers when port 0 was asked for. node:cluster shares a port-0 listen between workers by
 * the order of their listen calls on an address, across every pool in the process: proxy workers asking for
 * port 0 could be handed the WebDAV workers' port. So the primary picks the port and the workers ask for it.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
