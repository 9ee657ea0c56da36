// What the Caddy edge should hold, and the admin-API changes that take Caddy's current config there.
// Caddy 2.6 reloads its whole config on every admin change, and a reload closes every WebSocket it proxies,
// so the plan is empty when nothing differs, and the config never names a host: one catch-all route to the
// built-in proxy (which answers 404 for hosts it does not know) plus, with TLS, on-demand certificates
// gated by Homeport's ask endpoint. Adding or removing a host then never touches Caddy at all.

import { isDeepStrictEqual } from 'node:util';

/** `@id`s are unique in the whole Caddy config, so they carry the server name (two edges may share a Caddy). */
export const routeId = (serverName: string): string => `homeport-edge-${serverName}`;
export const tlsPolicyId = (serverName: string): string => `homeport-tls-${serverName}`;

export type EdgeTls = 'auto' | 'internal' | 'off';

export interface CaddyEdgeShape {
  serverName: string;
  listen: readonly string[];
  proxyUpstream: string;
  tls: EdgeTls;
  /** The ask endpoint's URL; unused with tls 'off'. */
  askUrl: string | undefined;
}

export interface AdminChange {
  method: 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
}

/**
 * The catch-all route. Caddy's reverse_proxy keeps the client's Host, sets X-Forwarded-For/-Proto/-Host
 * itself (replacing what the client sent, as no trusted_proxies are configured) and relays upgrades;
 * flush_interval -1 writes every chunk at once, which Server-Sent Events need.
 */
export function edgeRoute(serverName: string, proxyUpstream: string): Record<string, unknown> {
  return {
    '@id': routeId(serverName),
    handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: proxyUpstream }], flush_interval: -1 }],
    terminal: true,
  };
}

/** On-demand issuance for any name the ask endpoint allows; 'internal' uses Caddy's local CA instead of ACME. */
export function tlsPolicy(serverName: string, tls: Exclude<EdgeTls, 'off'>): Record<string, unknown> {
  return {
    '@id': tlsPolicyId(serverName),
    on_demand: true,
    ...(tls === 'internal' ? { issuers: [{ module: 'internal' }] } : {}),
  };
}

function child(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key] // a JSON object read by key; unknown values checked by callers
    : undefined;
}

function at(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => child(node, key), value);
}

/** PATCH replaces what exists, PUT creates (with its parents) what does not: Caddy refuses the other way round. */
function setValue(exists: boolean, path: string, body: unknown): AdminChange {
  return { method: exists ? 'PATCH' : 'PUT', path, body };
}

function ensureById(
  list: unknown,
  listPath: string,
  id: string,
  wanted: Record<string, unknown>,
): AdminChange[] {
  if (!Array.isArray(list)) return [{ method: 'PUT', path: listPath, body: [wanted] }];
  const current: unknown = list.find((item) => child(item, '@id') === id);
  if (current === undefined) return [{ method: 'POST', path: listPath, body: wanted }];
  return isDeepStrictEqual(current, wanted) ? [] : [{ method: 'PATCH', path: `/id/${id}`, body: wanted }];
}

/**
 * The changes that make `apps` (Caddy's `/config/apps`, `undefined` when empty) carry the edge. The server
 * named `serverName` is Homeport's: its listen addresses and TLS switches are converged; routes others put
 * in it are left alone (ours is appended, so theirs, matched first, win).
 */
export function planCaddyChanges(apps: unknown, shape: CaddyEdgeShape): AdminChange[] {
  const serverPath = `/config/apps/http/servers/${shape.serverName}`;
  const server = at(apps, 'http', 'servers', shape.serverName);
  const route = edgeRoute(shape.serverName, shape.proxyUpstream);
  const changes: AdminChange[] = [];

  if (server === undefined) {
    changes.push({
      method: 'PUT',
      path: serverPath,
      body: {
        listen: shape.listen,
        routes: [route],
        ...(shape.tls === 'off' ? { automatic_https: { disable: true } } : { tls_connection_policies: [{}] }),
      },
    });
  } else {
    const listen = child(server, 'listen');
    if (!isDeepStrictEqual(listen, shape.listen)) {
      changes.push(setValue(listen !== undefined, `${serverPath}/listen`, shape.listen));
    }
    const disabled = at(server, 'automatic_https', 'disable');
    const policies = child(server, 'tls_connection_policies');
    if (shape.tls === 'off') {
      if (disabled !== true) {
        changes.push(setValue(disabled !== undefined, `${serverPath}/automatic_https/disable`, true));
      }
      if (policies !== undefined) {
        changes.push({ method: 'DELETE', path: `${serverPath}/tls_connection_policies` });
      }
    } else {
      if (disabled !== undefined) {
        changes.push({ method: 'DELETE', path: `${serverPath}/automatic_https/disable` });
      }
      // Without host matchers Caddy's automatic HTTPS does not know the server speaks TLS: say so.
      if (!Array.isArray(policies) || policies.length === 0) {
        changes.push(setValue(policies !== undefined, `${serverPath}/tls_connection_policies`, [{}]));
      }
    }
    changes.push(
      ...ensureById(child(server, 'routes'), `${serverPath}/routes`, routeId(shape.serverName), route),
    );
  }

  const automation = at(apps, 'tls', 'automation');
  const policyList = child(automation, 'policies');
  if (shape.tls === 'off') {
    const id = tlsPolicyId(shape.serverName);
    const ours = Array.isArray(policyList) && policyList.some((p) => child(p, '@id') === id);
    if (ours) changes.push({ method: 'DELETE', path: `/id/${id}` });
  } else {
    const ask = at(automation, 'on_demand', 'ask');
    if (ask !== shape.askUrl) {
      changes.push(setValue(ask !== undefined, '/config/apps/tls/automation/on_demand/ask', shape.askUrl));
    }
    changes.push(
      ...ensureById(
        policyList,
        '/config/apps/tls/automation/policies',
        tlsPolicyId(shape.serverName),
        tlsPolicy(shape.serverName, shape.tls),
      ),
    );
  }
  return changes;
}
