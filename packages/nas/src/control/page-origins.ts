// Keeps the web UI's Content-Security-Policy in step with the storage agents: pages may connect to, and load
// images and media from, the nodes' own addresses (the files page talks to agents directly) and nowhere else.

import type { HttpApp, Logger, Principal } from '@homeport/core';

/** How often the node list is read again (every replica keeps its own: each answers its own pages). */
export const PAGE_ORIGINS_REFRESH_MS = 5_000;

/** The full view of every node, as the static client token sees it (addresses included). */
const SYSTEM: Principal = { kind: 'client', via: 'client_token', viaCookie: false };

export interface NodeAddressSource {
  listNodes(principal: Principal): Promise<readonly { directAddress: string | null }[]>;
}

/**
 * Sets `app.pageOrigins` from the nodes' addresses (and `extra()`: the embedded agent's address, known
 * before it has registered) at each call of the function it returns and every PAGE_ORIGINS_REFRESH_MS until
 * the server closes. A page loaded before a node joined reaches that node after a reload.
 */
export function keepPageOrigins(
  app: HttpApp,
  nodes: () => NodeAddressSource,
  log: Logger,
  extra: () => readonly string[] = () => [],
): () => Promise<void> {
  const refresh = async () => {
    try {
      const list = await nodes().listNodes(SYSTEM);
      const addresses = list.flatMap((node) => (node.directAddress === null ? [] : [node.directAddress]));
      app.pageOrigins.set([...extra(), ...addresses]);
    } catch (error) {
      // The store may be briefly unavailable (a KV leader change): keep the last list and try again.
      log.warn({ err: error }, 'could not refresh the storage agents for the pages’ content security policy');
    }
  };
  const timer = setInterval(() => void refresh(), PAGE_ORIGINS_REFRESH_MS);
  timer.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(timer);
    done();
  });
  return refresh;
}
