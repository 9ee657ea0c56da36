// The Caddy TLS edge (Debian caddy 2.6) driven through its admin API. See caddy-plan.ts for why its config
// names no host: host changes only update the set the on-demand TLS ask endpoint allows.

import type { Logger } from '@homeport/core';
import { DeployError } from '../errors.js';
import { type AdminTransport, caddyAdminRequest, createCaddyAdmin } from './caddy-admin.js';
import { type AskServer, startAskServer } from './caddy-ask.js';
import { type CaddyEdgeShape, type EdgeTls, planCaddyChanges } from './caddy-plan.js';
import { edgeHostName, edgeHostSet } from './host-name.js';
import type { EdgeDriver } from './types.js';

export interface CaddyEdgeOptions {
  /** `http://127.0.0.1:2019` — loopback only: the admin API has no authentication. */
  adminUrl: string;
  /** The built-in proxy's address, `127.0.0.1:<port>` (loopback: Caddy runs on the same machine). */
  proxyUpstream: string;
  /** Caddy server name (default `homeport`); the driver owns its listen and TLS settings. */
  serverName?: string;
  /** Addresses the server listens on, e.g. `[':443']`; tests use `['127.0.0.1:<port>']`. */
  listen: readonly string[];
  /** 'auto': ACME certificates on demand; 'internal': Caddy's local CA; 'off': plain HTTP. */
  tls: EdgeTls;
  /** Port of the loopback ask endpoint (default 0: any free port, which costs one Caddy reload per start). */
  askPort?: number;
  log: Logger;
  /** How admin requests are sent (default caddyAdminRequest: node:http, one connection each). */
  transport?: AdminTransport;
  /** Per admin request (default 10 s). */
  timeoutMs?: number;
}

const UPSTREAM = /^(?:127(?:\.\d{1,3}){3}|\[::1\]|localhost):\d{1,5}$/;
const LISTEN = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3})?|\[[0-9a-f:.]+\]|localhost):\d{1,5}$/;
const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function checkOptions(options: CaddyEdgeOptions): void {
  if (!UPSTREAM.test(options.proxyUpstream)) {
    throw new TypeError(
      `caddy proxyUpstream must be <loopback address>:<port>, got ${options.proxyUpstream}`,
    );
  }
  if (options.listen.length === 0 || !options.listen.every((address) => LISTEN.test(address))) {
    throw new TypeError(`caddy listen must be [host]:port addresses, got ${JSON.stringify(options.listen)}`);
  }
  // The name is a path segment of admin URLs.
  if (options.serverName !== undefined && !SERVER_NAME.test(options.serverName)) {
    throw new TypeError(`caddy serverName must match ${SERVER_NAME}, got ${options.serverName}`);
  }
  if (!['auto', 'internal', 'off'].includes(options.tls)) {
    throw new TypeError(`caddy tls must be 'auto', 'internal' or 'off', got ${String(options.tls)}`);
  }
}

/**
 * A Caddy edge. `sync` checks Caddy's config and sends a change only where it differs; `addHost` and
 * `removeHost` re-check it (Caddy may have been restarted with its own config) but otherwise only change
 * which names the ask endpoint allows, so proxied WebSockets are never cut by a host change.
 *
 * @example
 *   const edge = createCaddyEdge({ adminUrl: 'http://127.0.0.1:2019', proxyUpstream: '127.0.0.1:8080',
 *     listen: [':443'], tls: 'auto', log });
 *   await edge.sync(stages.map((s) => s.host));
 */
export function createCaddyEdge(options: CaddyEdgeOptions): EdgeDriver {
  checkOptions(options);
  const admin = createCaddyAdmin({
    adminUrl: options.adminUrl,
    transport: options.transport ?? caddyAdminRequest,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxBytes: 8 << 20,
  });
  const log = options.log.child({ edge: 'caddy' });
  const hosts = new Set<string>();
  let ask: AskServer | undefined;
  let closed = false;
  // Changes run one after another: two overlapping read-plan-write rounds would both append our route.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  const converge = async (): Promise<void> => {
    if (closed) throw new DeployError('edge_failed', 'the caddy edge driver is closed');
    if (options.tls !== 'off') ask ??= await startAskServer(options.askPort ?? 0, (host) => hosts.has(host));
    const shape: CaddyEdgeShape = {
      serverName: options.serverName ?? 'homeport',
      listen: options.listen,
      proxyUpstream: options.proxyUpstream,
      tls: options.tls,
      askUrl: ask?.url,
    };
    const changes = planCaddyChanges(await admin.get('/config/apps'), shape);
    for (const change of changes) await admin.send(change.method, change.path, change.body);
    if (changes.length > 0) {
      log.info({ changes: changes.map((c) => `${c.method} ${c.path}`) }, 'caddy edge config changed');
    }
  };

  return {
    kind: 'caddy',
    sync: async (list) => {
      const wanted = edgeHostSet(list);
      return serial(async () => {
        hosts.clear();
        for (const host of wanted) hosts.add(host);
        await converge();
      });
    },
    addHost: async (value) => {
      const host = edgeHostName(value);
      return serial(async () => {
        hosts.add(host);
        await converge();
        log.info({ host }, 'edge host added');
      });
    },
    removeHost: async (value) => {
      const host = edgeHostName(value);
      return serial(async () => {
        hosts.delete(host);
        await converge();
        log.info({ host }, 'edge host removed');
      });
    },
    close: () =>
      serial(async () => {
        closed = true;
        await ask?.close();
      }),
  };
}
