// The endpoint Caddy's on-demand TLS asks before it gets a certificate for a name (`?domain=<name>`): 200
// for the hosts Homeport carries, 404 for anything else, so a stranger's SNI cannot make Caddy order
// certificates (and burn the CA's rate limit) for names that are not ours.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AskServer {
  /** `http://127.0.0.1:<port>/` as written into Caddy's config. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startAskServer(port: number, allowed: (host: string) => boolean): Promise<AskServer> {
  const server = createServer((req, res) => {
    const domain = new URL(req.url ?? '/', 'http://ask.invalid').searchParams.get('domain') ?? '';
    const ok = req.method === 'GET' && allowed(domain.toLowerCase());
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(ok ? 'ok\n' : 'not a Homeport host\n');
  });
  // Only Caddy on this machine asks; nothing else should reach it.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port; // listening on TCP: an AddressInfo
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
