// Settings of the managed nats-server joining a cluster of managed servers (one per machine) over routes.
// docs/nats.md, "A cluster of managed servers", explains them; cluster-guard.ts checks their combination.

import {
  boolSetting,
  defineSettings,
  listSetting,
  type Setting,
  SettingProblem,
  type SettingValues,
  stringSetting,
} from '../config/settings.js';

/** A host and port as nats-server writes listen addresses: `host:port`, `[v6]:port`. */
export interface HostPort {
  /** Without brackets for IPv6. */
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` split; the port must be 1-65535. */
export function parseHostPort(raw: string): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(raw.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new SettingProblem(`must be host:port (e.g. 10.0.0.1:6222), got ${JSON.stringify(raw)}`);
  return { host, port };
}

/** How nats-server reads a host:port back: IPv6 in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `nats-route://host:port` (a bare `host:port` gets the scheme); credentials come from their own settings. */
function parseRoute(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `nats-route://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new SettingProblem(`must hold URLs like nats-route://10.0.0.2:6222, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'nats-route:')
    throw new SettingProblem(`must use nats-route://, got ${url.protocol}//`);
  if (url.username !== '' || url.password !== '')
    throw new SettingProblem(
      'must not carry a user or password; use HOMEPORT_NATS_CLUSTER_USER and HOMEPORT_NATS_CLUSTER_PASSWORD',
    );
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    throw new SettingProblem(`must be nats-route://host:port only, got ${JSON.stringify(raw)}`);
  // A custom scheme keeps the host and port text as given (no default port is dropped).
  const hostPort = parseHostPort(url.host);
  return `nats-route://${formatHostPort(hostPort)}`;
}

/** What nats-server accepts in `server_name` and `cluster.name`: no spaces, nothing the config file quotes. */
const clusterListen: Setting<string | undefined> = {
  key: 'nats.cluster.listen',
  env: 'HOMEPORT_NATS_CLUSTER_LISTEN',
  defaultValue: undefined,
  defaultText: '(unset)',
  parse(raw) {
    if (typeof raw !== 'string') throw new SettingProblem('must be host:port');
    return formatHostPort(parseHostPort(raw));
  },
  doc: 'Where the managed nats-server accepts routes from the other nodes, `host:port` (`0.0.0.0:6222`, `10.0.0.1:6222`). Off loopback, route credentials and route TLS are required.',
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_HINT = '1-64 letters, digits, `_`, `.` or `-`, starting with a letter or digit';

export const natsClusterSettings = defineSettings({
  natsServerName: stringSetting({
    key: 'nats.serverName',
    env: 'HOMEPORT_NATS_SERVER_NAME',
    pattern: NAME,
    patternHint: NAME_HINT,
    doc: 'Name of the managed nats-server (`server_name`; default `homeport`). Required in a cluster, and different on every node: JetStream tells its peers apart by it.',
  }),
  natsClusterName: stringSetting({
    key: 'nats.cluster.name',
    env: 'HOMEPORT_NATS_CLUSTER_NAME',
    pattern: NAME,
    patternHint: NAME_HINT,
    doc: 'Joins the managed nats-server to a cluster of that name (the same on every node); needs HOMEPORT_NATS_CLUSTER_LISTEN, HOMEPORT_NATS_CLUSTER_ROUTES, HOMEPORT_NATS_SERVER_NAME, route credentials and HOMEPORT_SECRET_KEY. See docs/nats.md.',
  }),
  natsClusterListen: clusterListen,
  natsClusterRoutes: listSetting({
    key: 'nats.cluster.routes',
    env: 'HOMEPORT_NATS_CLUSTER_ROUTES',
    item: parseRoute,
    doc: 'The cluster nodes to connect to, comma-separated `nats-route://host:port` (the same list on every node may include the node itself). Credentials come from HOMEPORT_NATS_CLUSTER_USER/PASSWORD.',
  }),
  natsClusterUser: stringSetting({
    key: 'nats.cluster.user',
    env: 'HOMEPORT_NATS_CLUSTER_USER',
    pattern: /^[A-Za-z0-9_.-]{1,64}$/,
    patternHint: '1-64 letters, digits, `_`, `.` or `-`',
    doc: 'User that nodes present to each other on routes (the same on every node). Required in a cluster: a route sees the traffic of every account.',
  }),
  natsClusterPassword: stringSetting({
    key: 'nats.cluster.password',
    env: 'HOMEPORT_NATS_CLUSTER_PASSWORD',
    minLength: 16,
    secret: true,
    doc: 'Password of HOMEPORT_NATS_CLUSTER_USER on routes (the same on every node), at least 16 characters. Written into the 0600 server config.',
  }),
  natsClusterTlsCert: stringSetting({
    key: 'nats.cluster.tlsCert',
    env: 'HOMEPORT_NATS_CLUSTER_TLS_CERT',
    doc: "PEM certificate this node presents on routes (valid for the host names or addresses in the other nodes' routes); with HOMEPORT_NATS_CLUSTER_TLS_KEY and HOMEPORT_NATS_CLUSTER_TLS_CA.",
  }),
  natsClusterTlsKey: stringSetting({
    key: 'nats.cluster.tlsKey',
    env: 'HOMEPORT_NATS_CLUSTER_TLS_KEY',
    doc: 'PEM private key of HOMEPORT_NATS_CLUSTER_TLS_CERT.',
  }),
  natsClusterTlsCa: stringSetting({
    key: 'nats.cluster.tlsCa',
    env: 'HOMEPORT_NATS_CLUSTER_TLS_CA',
    doc: "PEM CA that signed every node's route certificate; both ends of a route verify each other against it.",
  }),
  natsClusterNoAdvertise: boolSetting({
    key: 'nats.cluster.noAdvertise',
    env: 'HOMEPORT_NATS_CLUSTER_NO_ADVERTISE',
    default: true,
    doc: "Keep the other nodes' client addresses out of what the server tells its clients (`no_advertise`). Homeport connects to its own node on loopback; an advertised peer's 127.0.0.1 URL would point at this machine.",
  }),
});

export type NatsClusterSettingValues = SettingValues<typeof natsClusterSettings>;

/** Whether any setting asks for a cluster: then every cluster rule applies. */
export function clusterRequested(values: NatsClusterSettingValues): boolean {
  return (
    values.natsClusterName !== undefined ||
    values.natsClusterListen !== undefined ||
    (values.natsClusterRoutes ?? []).length > 0
  );
}
