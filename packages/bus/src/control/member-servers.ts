// Where members may connect: this node's member URL and those the other nodes of a NATS cluster announce, so
// a credential lists them all and the SDK fails over when the node it is attached to dies.
//
// Each node announces `{ url, machine }` on a BUS-account subject only Homeport's service users may publish
// (members' publish permissions name their rooms only), every 10 s and whenever a node says hello; entries not
// heard for 35 s are dropped. A peer's loopback URL (no HOMEPORT_BUS_LISTEN) is kept only when it runs on this
// machine: elsewhere, 127.0.0.1 would point at whatever listens on that port here.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isLoopbackAddress, type Logger } from '@homeport/core';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

export const NODES_ANNOUNCE = 'homeport.bus.nodes.announce';
export const NODES_HELLO = 'homeport.bus.nodes.hello';

export interface MemberServers {
  /** This node's URL first, then the other nodes' (sorted, so every credential reads the same). */
  list(): string[];
  close(): void;
}

export interface MemberServersOptions {
  nc: NatsConnection;
  /** This node's URL for members (`nats://127.0.0.1:…` or `tls://host:port`). */
  url: string;
  log: Logger;
  clock?: () => number;
  /** Default 10 s; an entry lives 3.5 periods. */
  intervalMs?: number;
  /** Which machine this is (default /etc/machine-id, else the host name). */
  machine?: string;
}

interface Announcement {
  node: string;
  machine: string;
  url: string;
}

const URL_PATTERN = /^(nats|tls):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** An announcement from the bus, checked field by field: anything else is dropped. */
export function parseAnnouncement(data: Uint8Array): Announcement | undefined {
  if (data.length > 1024) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { node, machine, url } = value as Record<string, unknown>;
  if (typeof node !== 'string' || node.length === 0 || node.length > 64) return undefined;
  if (typeof machine !== 'string' || machine.length === 0 || machine.length > 256) return undefined;
  if (typeof url !== 'string' || !URL_PATTERN.test(url)) return undefined;
  return { node, machine, url };
}

export function isLoopbackUrl(url: string): boolean {
  return isLoopbackAddress(new URL(url).hostname.replace(/^\[|\]$/g, ''));
}

function thisMachine(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (id !== '') return id;
  } catch {
    // No machine id (containers, macOS): the host name tells machines apart well enough here.
  }
  return hostname();
}

/**
 * The URLs members connect to, kept from this node's and its peers' announcements.
 *
 * @example
 *   const servers = watchMemberServers({ nc, url: 'tls://10.0.0.1:4250', log });
 *   credential.servers = servers.list();
 */
export function watchMemberServers(options: MemberServersOptions): MemberServers {
  const { nc, url, log } = options;
  const clock = options.clock ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const machine = options.machine ?? thisMachine();
  const node = randomUUID();
  const peers = new Map<string, { url: string; seenAt: number }>();
  const self: Announcement = { node, machine, url };

  const announce = () => {
    try {
      nc.publish(NODES_ANNOUNCE, JSON.stringify(self));
    } catch (error) {
      log.warn({ err: error }, 'bus: could not announce this node to the cluster');
    }
  };
  const subscriptions: Subscription[] = [
    nc.subscribe(NODES_ANNOUNCE, {
      callback: (_error, msg) => {
        const heard = parseAnnouncement(msg.data);
        if (!heard || heard.node === node) return;
        if (isLoopbackUrl(heard.url) && heard.machine !== machine) return;
        peers.set(heard.node, { url: heard.url, seenAt: clock() });
      },
    }),
    // A node that just started asks the others to announce now instead of at their next tick.
    nc.subscribe(NODES_HELLO, {
      callback: (_error, msg) => {
        if (parseAnnouncement(msg.data)?.node !== node) announce();
      },
    }),
  ];
  try {
    nc.publish(NODES_HELLO, JSON.stringify(self));
  } catch (error) {
    log.warn({ err: error }, 'bus: could not greet the other nodes');
  }
  announce();
  const timer = setInterval(announce, intervalMs);
  timer.unref();

  return {
    list() {
      const cutoff = clock() - intervalMs * 3.5;
      const others = new Set<string>();
      for (const [key, peer] of peers) {
        if (peer.seenAt < cutoff) peers.delete(key);
        else if (peer.url !== url) others.add(peer.url);
      }
      return [url, ...[...others].sort()];
    },
    close() {
      clearInterval(timer);
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
