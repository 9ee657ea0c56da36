// The boot guard of a managed cluster: which combinations of cluster settings are refused, and the checked
// cluster shape the server config is rendered from.

import { isLoopbackAddress } from '../http/bind-guard.js';
import { clusterRequested, type NatsClusterSettingValues, parseHostPort } from './cluster-settings.js';

/** A cluster the guard accepted: every field the server config needs. */
export interface ManagedCluster {
  name: string;
  serverName: string;
  /** `host:port` of the route listener. */
  listen: string;
  /** `nats-route://host:port`, without credentials. */
  routes: readonly string[];
  noAdvertise: boolean;
  auth: { user: string; password: string };
  /** Absent only when every route address is loopback. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export interface ClusterGuardContext {
  /** HOMEPORT_SECRET_KEY, from which every node derives the same operator and accounts. */
  secretKey: string | undefined;
  /** Why there is no managed server to cluster (an external URL, managed off), if so. */
  notManaged?: string;
}

const hostOfRoute = (route: string): string => parseHostPort(route.slice('nats-route://'.length)).host;

/**
 * Every problem of the cluster settings together. A route carries the messages of every account, so it must
 * authenticate always, and off loopback it must be encrypted and both ends verified as well.
 */
export function clusterProblems(values: NatsClusterSettingValues, context: ClusterGuardContext): string[] {
  const problems: string[] = [];
  const cert = values.natsClusterTlsCert;
  const key = values.natsClusterTlsKey;
  const ca = values.natsClusterTlsCa;
  const anyTls = cert !== undefined || key !== undefined || ca !== undefined;
  if (cert !== undefined && key === undefined)
    problems.push('HOMEPORT_NATS_CLUSTER_TLS_CERT is set without HOMEPORT_NATS_CLUSTER_TLS_KEY: give both.');
  if (key !== undefined && cert === undefined)
    problems.push('HOMEPORT_NATS_CLUSTER_TLS_KEY is set without HOMEPORT_NATS_CLUSTER_TLS_CERT: give both.');
  if ((cert !== undefined || key !== undefined) && ca === undefined)
    problems.push(
      "route TLS without HOMEPORT_NATS_CLUSTER_TLS_CA: the nodes could not verify each other's certificates; give the CA that signed them.",
    );
  if (ca !== undefined && cert === undefined && key === undefined)
    problems.push(
      'HOMEPORT_NATS_CLUSTER_TLS_CA is set without HOMEPORT_NATS_CLUSTER_TLS_CERT and HOMEPORT_NATS_CLUSTER_TLS_KEY: route TLS needs all three.',
    );
  const user = values.natsClusterUser;
  const password = values.natsClusterPassword;
  if ((user === undefined) !== (password === undefined))
    problems.push(
      'HOMEPORT_NATS_CLUSTER_USER and HOMEPORT_NATS_CLUSTER_PASSWORD go together: give both or neither.',
    );

  const requested = clusterRequested(values);
  if (!requested) {
    if (user !== undefined || password !== undefined || anyTls)
      problems.push(
        'route credentials or route TLS are set without a cluster: set HOMEPORT_NATS_CLUSTER_NAME, HOMEPORT_NATS_CLUSTER_LISTEN and HOMEPORT_NATS_CLUSTER_ROUTES, or unset them.',
      );
    return problems;
  }

  if (context.notManaged !== undefined)
    problems.push(
      `HOMEPORT_NATS_CLUSTER_* configure the managed nats-server, and there is none: ${context.notManaged}.`,
    );
  const routes = values.natsClusterRoutes ?? [];
  if (values.natsClusterName === undefined)
    problems.push('a cluster needs HOMEPORT_NATS_CLUSTER_NAME (the same on every node).');
  if (routes.length === 0)
    problems.push(
      `${values.natsClusterName === undefined ? 'a cluster needs HOMEPORT_NATS_CLUSTER_ROUTES' : 'HOMEPORT_NATS_CLUSTER_NAME is set without HOMEPORT_NATS_CLUSTER_ROUTES'}: list the nodes to connect to (nats-route://host:port; the same list on every node may include the node itself).`,
    );
  if (values.natsClusterListen === undefined)
    problems.push(
      `${routes.length > 0 ? 'HOMEPORT_NATS_CLUSTER_ROUTES is set without HOMEPORT_NATS_CLUSTER_LISTEN' : 'a cluster needs HOMEPORT_NATS_CLUSTER_LISTEN'}: the other nodes need an address to route to this one (host:port).`,
    );
  if (values.natsServerName === undefined)
    problems.push(
      'a cluster needs HOMEPORT_NATS_SERVER_NAME, different on every node (JetStream tells its peers apart by it).',
    );
  if (context.secretKey === undefined)
    problems.push(
      'a cluster needs HOMEPORT_SECRET_KEY, the same on every node: each node derives the NATS operator and accounts from it, so the nodes trust the same accounts.',
    );
  if (user === undefined && password === undefined)
    problems.push(
      'a cluster needs route credentials (HOMEPORT_NATS_CLUSTER_USER and HOMEPORT_NATS_CLUSTER_PASSWORD, the same on every node): whatever connects to a route port sees the messages of every account.',
    );

  const exposed = [
    ...(values.natsClusterListen === undefined ? [] : [values.natsClusterListen]),
    ...routes,
  ].filter((address) => {
    const host = address.startsWith('nats-route://') ? hostOfRoute(address) : parseHostPort(address).host;
    return !isLoopbackAddress(host);
  });
  const completeTls = cert !== undefined && key !== undefined && ca !== undefined;
  if (exposed.length > 0 && !(completeTls && user !== undefined && password !== undefined))
    problems.push(
      `refusing a cluster on a non-loopback address (${exposed.join(', ')}) without route credentials and complete route TLS: every account's messages would cross the network unauthenticated or in clear. Set HOMEPORT_NATS_CLUSTER_USER, HOMEPORT_NATS_CLUSTER_PASSWORD, HOMEPORT_NATS_CLUSTER_TLS_CERT, HOMEPORT_NATS_CLUSTER_TLS_KEY and HOMEPORT_NATS_CLUSTER_TLS_CA.`,
    );
  return problems;
}

/** The cluster to render, once `clusterProblems` found nothing; undefined when no cluster is asked for. */
export function managedClusterOf(values: NatsClusterSettingValues): ManagedCluster | undefined {
  if (!clusterRequested(values)) return undefined;
  const { natsClusterName: name, natsServerName: serverName, natsClusterListen: listen } = values;
  const { natsClusterUser: user, natsClusterPassword: password } = values;
  if (
    name === undefined ||
    serverName === undefined ||
    listen === undefined ||
    user === undefined ||
    password === undefined
  )
    throw new Error('managedClusterOf called on settings the cluster guard refuses');
  const { natsClusterTlsCert: certFile, natsClusterTlsKey: keyFile, natsClusterTlsCa: caFile } = values;
  return {
    name,
    serverName,
    listen,
    routes: values.natsClusterRoutes ?? [],
    noAdvertise: values.natsClusterNoAdvertise,
    auth: { user, password },
    ...(certFile !== undefined && keyFile !== undefined && caFile !== undefined
      ? { tls: { certFile, keyFile, caFile } }
      : {}),
  };
}
