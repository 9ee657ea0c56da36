// The JetStream events hub on a real nats-server: two hubs on two connections behave as two replicas —
// delivery across them, replay from a cursor across them, malformed messages dropped and logged, NATS
// wildcard meanings, and a publish that rejects within its bound while the server is down. Then an R3
// stream on a 3-node cluster, the replicas connected to different nodes.

import { type NatsServerInstance, startNatsCluster, startNatsServer } from '@homeport/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  createNatsEventHub,
  type EventEnvelope,
  NatsError,
  type NatsEventHub,
} from '../src/index.js';

const TIMEOUT_MS = 1500;
const always = () => true;

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
const logLines: { msg: string; problem?: string; subject?: string }[] = [];
let a: NatsEventHub;
let b: NatsEventHub;

async function replica(name: string): Promise<{ hub: NatsEventHub; nc: NatsConnection }> {
  const nc = await connect({ servers: server.url, name, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  connections.push(nc);
  const log = createLogger({
    level: 'warn',
    destination: { write: (line: string) => logLines.push(JSON.parse(line)) },
  });
  const hub = createNatsEventHub({
    js: jetstream(nc, { timeout: TIMEOUT_MS }),
    nc,
    log,
    timeoutMs: TIMEOUT_MS,
  });
  // Every replica defines the same topics, as every Homeport process runs the same modules.
  hub.defineTopic({ pattern: 'cross.x', history: 10, authorize: always });
  hub.defineTopic({ pattern: 'r.one', history: 2, authorize: always });
  hub.defineTopic({ pattern: 'r.two', history: 10, authorize: always });
  hub.defineTopic({ pattern: 'm.x', history: 10, authorize: always });
  hub.defineTopic({ pattern: 'w.>', history: 10, authorize: always });
  hub.defineTopic({ pattern: 'down.x', history: 10, authorize: always });
  return { hub, nc };
}

/** Collects what a hub delivers on `topics`. */
function listen(hub: NatsEventHub, topics: string[]): EventEnvelope[] {
  const seen: EventEnvelope[] = [];
  hub.subscribe(topics, (event) => seen.push(event));
  return seen;
}

beforeAll(async () => {
  server = await startNatsServer();
  a = (await replica('replica-a')).hub;
  b = (await replica('replica-b')).hub;
  await Promise.all([a.ready(), b.ready()]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  for (const nc of connections) await nc.close();
  await server?.stop();
});

describe('events on JetStream across replicas', () => {
  it('delivers an event published on A to subscribers on B (and on A), with the stream sequence as id', async () => {
    const onB = listen(b, ['cross.x']);
    const onA = listen(a, ['cross.x']);
    const published = await a.publish('cross.x', 'thing.created', { n: 1 });
    expect(published.id).toMatch(/^\d+$/);
    await vi.waitFor(() => expect(onB).toHaveLength(1), { timeout: 5000, interval: 10 });
    expect(onB[0]).toEqual(published);
    await vi.waitFor(() => expect(onA).toEqual([published]), { timeout: 5000, interval: 10 });
  });

  it('replays from a cursor what came after it, on any replica, each topic within its history', async () => {
    const cursor = await a.publish('r.one', 't', 'before');
    await b.publish('r.one', 't', 1);
    await a.publish('r.two', 't', 2);
    await b.publish('r.one', 't', 3);
    await a.publish('r.one', 't', 4);
    expect((await b.replay(['r.one', 'r.two'], cursor.id)).map((event) => event.data)).toEqual([2, 3, 4]);
    expect((await a.replay(['r.two'], cursor.id)).map((event) => event.data)).toEqual([2]);
    const last = await a.publish('r.two', 't', 5);
    expect(await b.replay(['r.one', 'r.two'], last.id)).toEqual([]);
    expect(await b.replay(['r.one'], 'garbage')).toEqual([]);
    // A cursor from a stream that no longer exists places nothing: every live event counts as after it.
    const beyond = String(Number(last.id) + 1000);
    expect(await b.replay(['r.one'], beyond)).toEqual([]);
    expect(b.isAfter(last.id, beyond)).toBe(true);
    expect(b.isAfter(cursor.id, last.id)).toBe(false);
    expect(b.isAfter(last.id, cursor.id)).toBe(true);
  });

  it('drops and logs a malformed message on an events. subject, while valid events keep flowing', async () => {
    // Anyone who may publish on events.> can put anything there; this connection is not a hub.
    const rogue = await connect({ servers: server.url, name: 'rogue' });
    connections.push(rogue);
    const onB = listen(b, ['m.x']);
    const first = await a.publish('m.x', 'm', 'first');
    const rawJs = jetstream(rogue);
    await rawJs.publish('events.m.x', 'not json');
    await rawJs.publish('events.m.x', JSON.stringify({ type: 7, data: {}, at: 'yesterday' }));
    await rawJs.publish(
      'events.m.x',
      JSON.stringify({ type: 'm', data: 1, at: new Date().toISOString(), x: 1 }),
    );
    const second = await a.publish('m.x', 'm', 'second');
    await vi.waitFor(() => expect(onB.map((event) => event.data)).toEqual(['first', 'second']), {
      timeout: 5000,
      interval: 10,
    });
    const dropped = () => logLines.filter((line) => line.msg === 'malformed event dropped');
    // Each replica drops each of the three on receipt.
    await vi.waitFor(() => expect(dropped().length).toBeGreaterThanOrEqual(3), {
      timeout: 5000,
      interval: 10,
    });
    expect(dropped().map((line) => line.subject)).toContain('events.m.x');
    // The replay skips them too.
    const before = String(Number(first.id) - 1);
    expect((await b.replay(['m.x'], before)).map((event) => event.id)).toEqual([first.id, second.id]);
  });

  it('matches topics as NATS does: * is one token, > one or more at the end', async () => {
    const star = listen(b, ['w.*']);
    const tail = listen(b, ['w.>']);
    const start = await a.publish('w.start', 't', 0);
    await a.publish('w.a.b', 't', 0);
    await a.publish('w.c', 't', 0);
    // Delivery is in stream order, so once w.c arrived, w.a.b would have arrived before it.
    await vi.waitFor(() => expect(star.map((event) => event.topic)).toEqual(['w.start', 'w.c']), {
      timeout: 5000,
      interval: 10,
    });
    await vi.waitFor(() => expect(tail.map((event) => event.topic)).toEqual(['w.start', 'w.a.b', 'w.c']), {
      timeout: 5000,
      interval: 10,
    });
    const before = String(Number(start.id) - 1);
    expect((await a.replay(['w.*'], before)).map((event) => event.topic)).toEqual(['w.start', 'w.c']);
    expect((await a.replay(['w.a.>'], before)).map((event) => event.topic)).toEqual(['w.a.b']);
  });

  it('refuses a topic whose history the stream cannot keep', () => {
    expect(() => a.defineTopic({ pattern: 'too.long', history: 101, authorize: always })).toThrow(
      /limit of 100/,
    );
  });

  it('rejects a publish within its bound while the server is down, and works again once it is back', async () => {
    const onB = listen(b, ['down.x']);
    await server.stop();
    const started = Date.now();
    const failure = await a.publish('down.x', 't', 'lost').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NatsError);
    expect((failure as NatsError).code).toBe('nats_unavailable');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);

    await server.restart();
    let published: EventEnvelope | undefined;
    await vi.waitFor(
      async () => {
        published = await a.publish('down.x', 't', 'back');
      },
      { timeout: 20_000, interval: 200 },
    );
    // B's live delivery resumes on its own: the event published after the restart reaches it.
    await vi.waitFor(() => expect(onB.map((event) => event.id)).toContain(published?.id), {
      timeout: 20_000,
      interval: 50,
    });
  });
});

describe('events on an R3 stream of a 3-node cluster', () => {
  it('delivers and replays across replicas connected to different nodes', async () => {
    const cluster = await startNatsCluster(3);
    const hubs: NatsEventHub[] = [];
    const ncs: NatsConnection[] = [];
    try {
      for (const url of [cluster.urls[0]!, cluster.urls[2]!]) {
        const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
        ncs.push(nc);
        const hub = createNatsEventHub({
          js: jetstream(nc),
          nc,
          log: createLogger({ level: 'silent' }),
          replicas: 3,
        });
        hub.defineTopic({ pattern: 'c.*', history: 5, authorize: always });
        hubs.push(hub);
      }
      const [first, second] = hubs as [NatsEventHub, NatsEventHub];
      await Promise.all([first.ready(), second.ready()]);
      const heard = listen(second, ['c.*']);
      const cursor = await first.publish('c.one', 't', 1);
      const next = await first.publish('c.two', 't', 2);
      await vi.waitFor(() => expect(heard.map((event) => event.id)).toEqual([cursor.id, next.id]), {
        timeout: 10_000,
        interval: 10,
      });
      expect((await second.replay(['c.one', 'c.two'], cursor.id)).map((event) => event.data)).toEqual([2]);
      const jsm = await jetstream(ncs[0]!).jetstreamManager();
      expect((await jsm.streams.info('HOMEPORT_EVENTS')).config.num_replicas).toBe(3);
    } finally {
      for (const hub of hubs) await hub.close();
      for (const nc of ncs) await nc.close();
      await cluster.stop();
    }
  });
});
