// The nats-server configuration file of the managed server, rendered from its ports, paths and identity.

import type { ManagedCluster } from './cluster-guard.js';

export interface ManagedServerConfig {
  /** `server_name` (default `homeport`); unique per node in a cluster. */
  serverName?: string;
  /** Client port, on 127.0.0.1 unless `listenHost` says otherwise. */
  port: number;
  /** The member listener's host (HOMEPORT_BUS_LISTEN); the client listener is then TLS-only. */
  listenHost?: string;
  /** Certificate and key of the client listener; required with `listenHost`. */
  tls?: { certFile: string; keyFile: string };
  /** Monitoring (HTTP) port on 127.0.0.1, polled for /healthz. */
  monitorPort: number;
  storeDir: string;
  resolverDir: string;
  pidFile: string;
  operatorJwtFile: string;
  systemAccount: string;
  /** Account public key → account JWT. */
  accountJwts: Record<string, string>;
  /** Routes to the other nodes; absent for a single server. */
  cluster?: ManagedCluster;
}

/** A quoted string for the nats-server config language, which reads JSON-style escapes in double quotes. */
function quoted(value: string): string {
  if (/[\n\r]/.test(value))
    throw new Error(`nats-server config value must be one line: ${JSON.stringify(value)}`);
  return JSON.stringify(value);
}

/** Account public keys and JWTs are base32/base64url; anything else would break the file's syntax. */
function checkToken(value: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new Error(`unexpected characters in ${JSON.stringify(value)}`);
  return value;
}

/** A route URL with the route credentials in it: nats-server sends the URL's user and password to that node. */
function routeWithCredentials(route: string, auth: ManagedCluster['auth']): string {
  const rest = route.slice('nats-route://'.length);
  return `nats-route://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@${rest}`;
}

function renderCluster(cluster: ManagedCluster): string {
  const routes = cluster.routes.map((route) => `    ${quoted(routeWithCredentials(route, cluster.auth))}`);
  const tls = cluster.tls
    ? `
  # Both ends present a certificate signed by the CA and verify the other's.
  tls {
    cert_file: ${quoted(cluster.tls.certFile)}
    key_file: ${quoted(cluster.tls.keyFile)}
    ca_file: ${quoted(cluster.tls.caFile)}
    verify: true
  }`
    : '';
  return `
# Routes to the other nodes of the cluster; every account's messages cross them.
cluster {
  name: ${quoted(cluster.name)}
  listen: ${quoted(cluster.listen)}
  no_advertise: ${cluster.noAdvertise}
  authorization {
    user: ${quoted(cluster.auth.user)}
    password: ${quoted(cluster.auth.password)}
  }${tls}
  routes: [
${routes.join('\n')}
  ]
}
`;
}

/**
 * The client listener: loopback in clear by default; moved to the member listener's address, every client
 * (Homeport's own included) must use TLS, so a cleartext client is refused rather than served.
 */
function renderListen(config: ManagedServerConfig): string {
  if (config.listenHost === undefined) return `listen: "127.0.0.1:${config.port}"`;
  if (config.tls === undefined) throw new Error('a client listener off the default needs TLS');
  const host = config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost;
  return `listen: ${quoted(`${host}:${config.port}`)}
# Members' NATS clients connect here; TLS is required of every client.
tls {
  cert_file: ${quoted(config.tls.certFile)}
  key_file: ${quoted(config.tls.keyFile)}
  timeout: 5
}`;
}

export function renderServerConfig(config: ManagedServerConfig): string {
  const preload = Object.entries(config.accountJwts)
    .map(([account, jwt]) => `  ${checkToken(account)}: ${quoted(checkToken(jwt))}`)
    .join('\n');
  return `# Written by Homeport before every start of its managed nats-server; edits here are overwritten.
server_name: ${quoted(config.serverName ?? 'homeport')}
${renderListen(config)}
http: "127.0.0.1:${config.monitorPort}"
pid_file: ${quoted(config.pidFile)}
# Homeport's logger adds the time.
logtime: false

jetstream {
  store_dir: ${quoted(config.storeDir)}
}

# Operator mode: every client needs a user JWT signed for one of the accounts below, and proves it holds the
# user's seed; there is no anonymous or password access.
operator: ${quoted(config.operatorJwtFile)}
system_account: ${checkToken(config.systemAccount)}

resolver {
  type: full
  dir: ${quoted(config.resolverDir)}
  allow_delete: false
  interval: "2m"
}

resolver_preload {
${preload}
}
${config.cluster ? renderCluster(config.cluster) : ''}`;
}
