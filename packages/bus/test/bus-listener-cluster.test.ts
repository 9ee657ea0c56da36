// Three Homeports, each with its managed nats-server as a node of one cluster (loopback routes) and a member
// listener on its own loopback port: a credential from one node lists every node's tls:// URL, and the CA it
// carries (derived from the shared secret key) verifies every node, so a member fails over to another node
// (the last test stops a node).

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, removeTempDirs, tempDir } from '@homeport/testkit';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusClient, type BusClientEvent, type BusMessage } from '../src/client/index.js';
import { signPubHex } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

const SECRET_KEY = 'bus-listener-cluster-secret-0123456789abcdef';
const nodes: { h: BusHomeport; dataDir: string; memberPort: number }[] = [];

beforeAll(async () => {
  const plans = [];
  for (let i = 1; i <= 3; i += 1)
    plans.push({
      name: `n${i}`,
      routePort: await freePort(),
      memberPort: await freePort(),
      dataDir: tempDir(`homeport-bus-cluster-${i}-`),
    });
  const routes = plans.map((plan) => `nats-route://127.0.0.1:${plan.routePort}`).join(',');
  // Together: JetStream (the blob store at init) needs a quorum of the nodes.
  const settled = await Promise.allSettled(
    plans.map((plan) =>
      startBusHomeport(
        {
          HOMEPORT_SECRET_KEY: SECRET_KEY,
          HOMEPORT_NATS_SERVER_NAME: plan.name,
          HOMEPORT_NATS_CLUSTER_NAME: 'bus-listener',
          HOMEPORT_NATS_CLUSTER_LISTEN: `127.0.0.1:${plan.routePort}`,
          HOMEPORT_NATS_CLUSTER_ROUTES: routes,
          HOMEPORT_NATS_CLUSTER_USER: 'route',
          HOMEPORT_NATS_CLUSTER_PASSWORD: 'route-password-0123456789',
          HOMEPORT_BUS_LISTEN: `127.0.0.1:${plan.memberPort}`,
        },
        plan.dataDir,
      ),
    ),
  );
  // A node that failed must not leave the others (and their nats-servers) running.
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((h) => h.close()));
    throw failed.reason;
  }
  for (const [i, h] of started.entries()) {
    const plan = plans[i] as (typeof plans)[number];
    nodes.push({ h, dataDir: plan.dataDir, memberPort: plan.memberPort });
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.h.close()));
  removeTempDirs();
});

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('member listeners of a cluster', () => {
  it("lists every node's tls:// URL, this node's first, with one CA for all", async () => {
    const [first] = nodes;
    if (!first) throw new Error('no nodes');
    const identity = await first.h.seed('member', 'frank');
    const urls = nodes.map((node) => `tls://127.0.0.1:${node.memberPort}`);
    const credential = await until(async () => {
      const response = await first.h.call(identity, 'POST', '/credentials', {
        natsPub: createUser().getPublicKey(),
      });
      return response.json?.servers?.length === 3 && response.json;
    });
    expect(credential.servers[0]).toBe(urls[0]);
    expect([...credential.servers].sort()).toEqual([...urls].sort());

    const ca = new X509Certificate(credential.ca);
    for (const node of nodes) {
      const cert = new X509Certificate(readFileSync(join(node.dataDir, 'nats', 'tls', 'listener.pem')));
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    }
  });

  it('carries messages between members attached to different nodes', async () => {
    const [first, , third] = nodes;
    if (!first || !third) throw new Error('no nodes');
    const alice = await first.h.seed('member', 'alice');
    const bob = await first.h.seed('member', 'bob');
    const aliceClient = BusClient.create({ controlUrls: [first.h.url], identity: alice });
    // Bob's control plane is node 1 (his identity is in its store), his NATS node 3, with node 1's CA.
    const bobClient = BusClient.create({
      controlUrls: [first.h.url],
      identity: bob,
      natsServers: [`tls://127.0.0.1:${third.memberPort}`],
    });
    try {
      const room = await aliceClient.createRoom({ name: 'across', policy: { persisted: false } });
      await aliceClient.invite(room.id, signPubHex(bob));
      const got: BusMessage[] = [];
      await bobClient.subscribe(room.id, (message) => {
        got.push(message);
      });
      expect((await bobClient.connect()).getServer()).toBe(`127.0.0.1:${third.memberPort}`);
      // The subscription's interest crosses the route asynchronously: publish until it arrives.
      await until(async () => {
        await aliceClient.publish(room.id, 'from node 1 to node 3');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return got.length > 0;
      });
      expect(new TextDecoder().decode(got[0]?.payload)).toBe('from node 1 to node 3');
    } finally {
      await aliceClient.close();
      await bobClient.close();
    }
  });

  it('fails over to another node when the one a member is attached to stops', async () => {
    const [first, second, third] = nodes;
    if (!first || !second || !third) throw new Error('no nodes');
    const carol = await first.h.seed('member', 'carol');
    const dave = await first.h.seed('member', 'dave');
    const events: BusClientEvent[] = [];
    const carolClient = BusClient.create({ controlUrls: [first.h.url], identity: carol });
    const daveClient = BusClient.create({
      controlUrls: [first.h.url],
      identity: dave,
      natsServers: [second, third].map((node) => `tls://127.0.0.1:${node.memberPort}`),
      onEvent: (event) => events.push(event),
    });
    try {
      const room = await carolClient.createRoom({ name: 'failover', policy: { persisted: false } });
      await carolClient.invite(room.id, signPubHex(dave));
      const got: string[] = [];
      await daveClient.subscribe(room.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
      });
      const attached = (await daveClient.connect()).getServer();
      const victim = attached === `127.0.0.1:${second.memberPort}` ? second : third;
      const survivor = victim === second ? third : second;
      await victim.h.close();
      nodes.splice(nodes.indexOf(victim), 1);
      const reconnected = await until(async () => events.find((event) => event.type === 'reconnected'));
      expect(reconnected).toMatchObject({ server: `127.0.0.1:${survivor.memberPort}` });
      await until(async () => {
        await carolClient.publish(room.id, 'after the failover');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return got.includes('after the failover');
      });
    } finally {
      await carolClient.close();
      await daveClient.close();
    }
  }, 60_000);
});
