// The 'none' edge: the built-in proxy faces the clients itself, so there is nothing to tell.

import { edgeHostName, edgeHostSet } from './host-name.js';
import type { EdgeDriver } from './types.js';

/** An edge driver that checks host names (so a bad one fails the same way with every driver) and does nothing. */
export function createNoEdge(): EdgeDriver {
  return {
    kind: 'none',
    sync: async (hosts) => {
      edgeHostSet(hosts);
    },
    addHost: async (host) => {
      edgeHostName(host);
    },
    removeHost: async (host) => {
      edgeHostName(host);
    },
    close: async () => {},
  };
}
