// The member listener (HOMEPORT_BUS_LISTEN) of the managed nats-server: its options, what members are told,
// and the plan of where it binds, how Homeport reaches it and which names its certificate holds.

import { networkInterfaces, hostname as osHostname } from 'node:os';
import { formatHostPort, parseHostPort } from './cluster-settings.js';

export interface MemberListenerOptions {
  /** `host:port`, `[v6]:port`; `0.0.0.0` or `::` listen on every interface. */
  listen: string;
  /** The host members are told (HOMEPORT_BUS_ADVERTISE). */
  advertise?: string | undefined;
  /** HOMEPORT_BUS_TLS_CERT/KEY; without them Homeport makes a bus CA and a certificate. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

/** Where bus members connect to this server. */
export interface MemberEndpoint {
  /** `tls://advertised-host:port` with a member listener, else the loopback `nats://127.0.0.1:port`. */
  url: string;
  /** The CA members pin (generated, or the operator chain's self-signed root); undefined without TLS or for a public CA. */
  ca: string | undefined;
  tls: boolean;
  /** HOMEPORT_BUS_LISTEN, as the server listens. */
  listen: string | undefined;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** This machine's addresses other than loopback, IPv4 first. */
export function machineAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((entry) => !entry.internal);
  return [
    ...external.filter((entry) => entry.family === 'IPv4').map((entry) => entry.address),
    ...external
      .filter((entry) => entry.family === 'IPv6' && !entry.address.startsWith('fe80'))
      .map((entry) => entry.address),
  ];
}

export interface MemberListenerPlan {
  host: string;
  port: number;
  /** Where Homeport's own connections go. */
  connectHost: string;
  advertiseHost: string;
  /** Names the generated certificate must hold. */
  certHosts: string[];
}

/**
 * Where the listener binds, how Homeport reaches it, what members are told and what the certificate names.
 * `machine` is this machine's addresses and host name (tests pass their own).
 */
export function planMemberListener(
  options: MemberListenerOptions,
  machine: { addresses: readonly string[]; hostname: string } = {
    addresses: machineAddresses(),
    hostname: osHostname(),
  },
): MemberListenerPlan {
  const { host, port } = parseHostPort(options.listen);
  const wildcard = WILDCARD_HOSTS.has(host);
  const advertiseHost =
    options.advertise?.replace(/^\[|\]$/g, '') ??
    (wildcard ? (machine.addresses[0] ?? machine.hostname) : host);
  const connectHost = wildcard ? '127.0.0.1' : host;
  const certHosts = [
    ...new Set([
      advertiseHost,
      ...(wildcard ? [...machine.addresses, machine.hostname] : [host]),
      ...LOOPBACK_HOSTS,
    ]),
  ];
  return { host, port, connectHost, advertiseHost, certHosts };
}

export const tlsUrl = (host: string, port: number) => `tls://${formatHostPort({ host, port })}`;
