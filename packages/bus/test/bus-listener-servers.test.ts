// The member URLs a credential lists: on a real 3-node nats cluster each node's directory learns the others'
// URLs from their announcements, drops a peer's loopback URL from another machine, forgets a silent peer, and
// ignores announcements that are not well-formed.

import { createLogger } from '@homeport/core';
import { type NatsClusterInstance, startNatsCluster } from '@homeport/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MemberServers,
  NODES_ANNOUNCE,
  parseAnnouncement,
  watchMemberServers,
} from '../src/control/member-servers.js';

let cluster: NatsClusterInstance;
const connections: NatsConnection[] = [];
const directories: MemberServers[] = [];
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  cluster = await startNatsCluster(3);
}, 60_000);

afterAll(async () => {
  for (const directory of directories) directory.close();
  await Promise.all(connections.map((nc) => nc.close()));
  await cluster?.stop();
});

async function until<T>(probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function directoryOn(
  nodeIndex: number,
  url: string,
  options: { machine?: string; clock?: () => number; intervalMs?: number } = {},
) {
  const node = cluster.nodes[nodeIndex];
  if (!node) throw new Error(`no node ${nodeIndex}`);
  const nc = await connect({ servers: node.url });
  connections.push(nc);
  const directory = watchMemberServers({ nc, url, log, machine: 'machine-a', ...options });
  directories.push(directory);
  return { nc, directory };
}

describe('member servers of a cluster', () => {
  it('lists every node, its own first, once the routes carry the announcements', async () => {
    const urls = ['nats://127.0.0.1:41001', 'nats://127.0.0.1:41002', 'nats://127.0.0.1:41003'];
    const nodes = [];
    for (const [i, url] of urls.entries()) nodes.push(await directoryOn(i, url, { intervalMs: 500 }));
    for (const [i, node] of nodes.entries()) {
      const list = await until(() => {
        const current = node.directory.list();
        return current.length === 3 && current;
      });
      expect(list[0]).toBe(urls[i]);
      expect([...list].sort()).toEqual(urls);
    }
    for (const node of nodes) node.directory.close();
  });

  it("keeps a peer's loopback URL only when it runs on the same machine; a tls:// URL from anywhere", async () => {
    const self = await directoryOn(0, 'tls://10.0.0.1:4250', { intervalMs: 500 });
    const elsewhere = await directoryOn(1, 'nats://127.0.0.1:42002', {
      machine: 'machine-b',
      intervalMs: 500,
    });
    const remoteTls = await directoryOn(2, 'tls://10.0.0.3:4250', { machine: 'machine-c', intervalMs: 500 });
    await until(() => self.directory.list().includes('tls://10.0.0.3:4250'));
    expect(self.directory.list()).not.toContain('nats://127.0.0.1:42002');
    // The other machine keeps our tls:// URL.
    await until(() => elsewhere.directory.list().includes('tls://10.0.0.1:4250'));
    for (const node of [self, elsewhere, remoteTls]) node.directory.close();
  });

  it('forgets a node that stopped announcing', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const watcher = await directoryOn(0, 'nats://127.0.0.1:43001', { clock, intervalMs: 1000 });
    const peer = await directoryOn(1, 'nats://127.0.0.1:43002', { intervalMs: 1000 });
    await until(() => watcher.directory.list().includes('nats://127.0.0.1:43002'));
    peer.directory.close();
    now += 3400;
    expect(watcher.directory.list()).toContain('nats://127.0.0.1:43002');
    now += 200;
    expect(watcher.directory.list()).toEqual(['nats://127.0.0.1:43001']);
    watcher.directory.close();
  });

  it('ignores announcements that are not well-formed', async () => {
    const watcher = await directoryOn(0, 'nats://127.0.0.1:44001', { intervalMs: 500 });
    const forger = await directoryOn(1, 'nats://127.0.0.1:44002', { intervalMs: 500 });
    const bad = [
      'not json',
      JSON.stringify({ node: 'x', machine: 'machine-a', url: 'http://evil.example:80' }),
      JSON.stringify({ node: 'x', machine: 'machine-a', url: 'nats://user:pw@evil.example:4222' }),
      JSON.stringify({ node: 'x', machine: 'machine-a', url: 'nats://evil.example:4222/path' }),
      JSON.stringify({ node: '', machine: 'machine-a', url: 'nats://127.0.0.1:1' }),
      JSON.stringify({ node: 'y', machine: 'machine-a', url: `tls://${'a'.repeat(2000)}:1` }),
    ];
    for (const payload of bad) {
      expect(parseAnnouncement(new TextEncoder().encode(payload))).toBeUndefined();
      forger.nc.publish(NODES_ANNOUNCE, payload);
    }
    // A well-formed one after the bad ones: once it is in, the bad ones were read and dropped.
    forger.nc.publish(NODES_ANNOUNCE, JSON.stringify({ node: 'z', machine: 'machine-a', url: 'tls://h:1' }));
    await until(() => watcher.directory.list().includes('tls://h:1'));
    expect(watcher.directory.list().sort()).toEqual(
      ['nats://127.0.0.1:44001', 'nats://127.0.0.1:44002', 'tls://h:1'].sort(),
    );
    watcher.directory.close();
    forger.directory.close();
  });
});
