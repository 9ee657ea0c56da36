// The testkit's nats-server: one server with JetStream, and a 3-node cluster that survives losing a node.

import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, startNatsCluster, startNatsServer, stopAll, TestkitError } from '../src/index.js';

const connections: NatsConnection[] = [];
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await stopAll();
  removeTempDirs();
});

async function client(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5000 });
  connections.push(nc);
  return nc;
}

/** Retries `attempt` until it resolves or `timeoutMs` passes; returns the time it took. */
async function eventually<T>(
  attempt: () => Promise<T>,
  timeoutMs: number,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      return { value: await attempt(), ms: Date.now() - started };
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`still failing after ${timeoutMs} ms: ${String(last)}`);
}

describe('startNatsServer', () => {
  it('starts a JetStream server on free loopback ports, ready for KV at once, and stops it by PID', async () => {
    const server = await startNatsServer();
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.monitorUrl}/healthz`);
    expect(health.status).toBe(200);

    const nc = await client(server.url);
    const kv = await new Kvm(jetstream(nc)).create('testkit');
    await kv.put('greeting', 'hello');
    expect((await kv.get('greeting'))?.string()).toBe('hello');
    await nc.close();

    const pid = server.process.pid;
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('asks for a password only when told to', async () => {
    const server = await startNatsServer({ jetstream: false, auth: { user: 'u', password: 'p4ssw0rd' } });
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authori[sz]ation/i);
    const nc = await connect({ servers: server.url, user: 'u', pass: 'p4ssw0rd', reconnect: false });
    await nc.close();
    await server.stop();
  });

  it('fails loudly, naming the apt package, when nats-server is missing', async () => {
    const missing = startNatsServer({ binary: '/nonexistent/nats-server' });
    await expect(missing).rejects.toBeInstanceOf(TestkitError);
    await expect(missing).rejects.toMatchObject({
      code: 'missing_dependency',
      message: expect.stringContaining('apt-get install -y nats-server'),
    });
  });
});

describe('startNatsCluster', () => {
  it('keeps an R3 KV bucket writable when a node stops, and the node rejoins after a restart', async () => {
    const cluster = await startNatsCluster(3);
    expect(cluster.nodes).toHaveLength(3);
    const nc = await client(cluster.urls);
    const js = jetstream(nc, { timeout: 2000 });
    const kv = await new Kvm(js).create('replicated', { replicas: 3 });
    await kv.put('k', 'before');

    const [victim] = cluster.nodes;
    if (!victim) throw new Error('no node');
    await victim.stop();
    // The put must succeed within 5 s of losing the node (a new stream leader may need electing).
    const { ms } = await eventually(() => kv.put('k', 'during'), 5000);
    expect(ms).toBeLessThan(5000);
    expect((await kv.get('k'))?.string()).toBe('during');

    await victim.restart();
    await cluster.waitForJetStream();
    // The restarted node is a current peer of the bucket's stream again.
    await eventually(async () => {
      const info = await (await jetstream(nc).jetstreamManager()).streams.info('KV_replicated');
      const peers = [
        info.cluster?.leader,
        ...(info.cluster?.replicas ?? []).filter((r) => r.current).map((r) => r.name),
      ];
      if (!peers.includes(victim.name))
        throw new Error(`${victim.name} not current yet: ${JSON.stringify(info.cluster)}`);
    }, 20_000);
    await kv.put('k', 'after');
    expect((await kv.get('k'))?.string()).toBe('after');
    await cluster.stop();
  }, 90_000);
});
