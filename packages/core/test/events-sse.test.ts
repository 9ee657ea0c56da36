// The SSE route resuming from Last-Event-ID subscribes before it replays: an event published while the
// replay runs is neither lost nor sent twice. With the in-process hub, and with two JetStream replicas (the
// stream served by A, events published on B); a failed replay or a client that leaves mid-replay releases
// its subscription.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AuthGuards,
  createEventHub,
  createHttpServer,
  createLogger,
  createMetrics,
  createNatsEventHub,
  createSseRegistry,
  type EventBus,
  type HttpApp,
  type NatsEventHub,
  type Principal,
  registerEventRoutes,
  type SseRegistry,
} from '../src/index.js';

const admin: Principal = {
  kind: 'user',
  userId: 'u1',
  username: 'ann',
  role: 'admin',
  via: 'session',
  viaCookie: false,
};
// The accounts package implements these guards; core's tests cannot import a domain package, so these
// admit one fixed user. Authorisation per topic is the bus's own (exercised in events-hub.test.ts).
const guards: AuthGuards = {
  requireUser: async (request) => {
    request.principal = admin;
  },
  requireAdmin: async (request) => {
    request.principal = admin;
  },
  requireClient: async (request) => {
    request.principal = admin;
  },
  authenticate: async () => admin,
  recheck: async (principal) => principal,
};

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

let registry: SseRegistry = createSseRegistry();

async function serve(events: EventBus): Promise<string> {
  registry = createSseRegistry();
  app = await createHttpServer({
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics({ collectProcess: false }),
    version: 't',
  });
  registerEventRoutes(app, { events, sse: registry, auth: guards });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

interface Frame {
  id: string;
  marker: string;
}

/** Reads SSE frames of one response; `until` resolves with every frame so far once one carries `marker`. */
function sseReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const frames = (): Frame[] =>
    text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => {
        const id = /^id: (.*)$/m.exec(block)?.[1] ?? '';
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as { data: { marker: string } };
        return { id, marker: data.data.marker };
      });
  return {
    async until(marker: string, timeoutMs = 10_000): Promise<Frame[]> {
      const deadline = Date.now() + timeoutMs;
      while (!frames().some((frame) => frame.marker === marker)) {
        if (Date.now() > deadline) throw new Error(`no ${marker} yet; got ${JSON.stringify(text)}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      return frames();
    },
    cancel: () => reader.cancel(),
  };
}

/**
 * The route's bus, with a replay that lets `other` publish while it runs: once before the stored events are
 * read (so that event is both replayed and delivered live) and once after (live only), returning only once
 * the route's bus delivered that last one to its subscribers — a route that subscribed after its replay
 * would miss it.
 */
function racingReplay(route: EventBus, other: EventBus): EventBus {
  return {
    ...route,
    async replay(topics, cursor) {
      await other.publish('feed', 't', { marker: 'during-read' });
      const replayed = await route.replay(topics, cursor);
      let delivered = false;
      const stop = route.subscribe(['feed'], (event) => {
        if ((event.data as { marker?: string }).marker === 'after-read') delivered = true;
      });
      await other.publish('feed', 't', { marker: 'after-read' });
      await vi.waitFor(() => expect(delivered).toBe(true), { timeout: 5000, interval: 5 });
      stop();
      return replayed;
    },
  };
}

async function resumesWithoutLossOrDuplicate(route: EventBus, other: EventBus): Promise<void> {
  await other.publish('feed', 't', { marker: 'seen-1' });
  const cursor = await route.publish('feed', 't', { marker: 'seen-2' });
  await other.publish('feed', 't', { marker: 'missed' });
  const base = await serve(racingReplay(route, other));
  const response = await fetch(`${base}/api/v1/events?topics=feed`, {
    headers: { authorization: 'Bearer x', 'last-event-id': cursor.id },
  });
  expect(response.status).toBe(200);
  const reader = sseReader(response);
  await reader.until('after-read');
  // Published once the replay is over: the last event, so a late duplicate of any other would come before it.
  await other.publish('feed', 't', { marker: 'final' });
  const frames = await reader.until('final');
  await reader.cancel();
  expect(frames.map((frame) => frame.marker)).toEqual(['missed', 'during-read', 'after-read', 'final']);
  for (let i = 1; i < frames.length; i += 1)
    expect(
      route.isAfter(frames[i]!.id, frames[i - 1]!.id),
      `${frames[i]!.id} after ${frames[i - 1]!.id}`,
    ).toBe(true);
}

const feed = (bus: EventBus) => bus.defineTopic({ pattern: 'feed', history: 10, authorize: () => true });

describe('SSE resume with the in-process hub', () => {
  it('sends what was missed, then events published during the replay, each once and in order', async () => {
    const hub = createEventHub();
    feed(hub);
    await resumesWithoutLossOrDuplicate(hub, hub);
  });

  it('closes the stream and drops its subscription when the replay fails', async () => {
    const hub = createEventHub();
    feed(hub);
    let subscribed = 0;
    const failing: EventBus = {
      ...hub,
      subscribe(topics, listener) {
        subscribed += 1;
        const stop = hub.subscribe(topics, listener);
        return () => {
          subscribed -= 1;
          stop();
        };
      },
      replay: async () => {
        throw new Error('store unavailable');
      },
    };
    const base = await serve(failing);
    const response = await fetch(`${base}/api/v1/events?topics=feed`, {
      headers: { authorization: 'Bearer x', 'last-event-id': '1' },
    });
    await response.text(); // ends when the server closes the stream
    expect(subscribed).toBe(0);
  });

  it('drops the subscription of a client that leaves during the replay', async () => {
    const hub = createEventHub();
    feed(hub);
    let subscribed = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let replaying = false;
    const slow: EventBus = {
      ...hub,
      subscribe(topics, listener) {
        subscribed += 1;
        const stop = hub.subscribe(topics, listener);
        return () => {
          subscribed -= 1;
          stop();
        };
      },
      async replay(topics, cursor) {
        replaying = true;
        await released;
        return hub.replay(topics, cursor);
      },
    };
    const base = await serve(slow);
    const aborter = new AbortController();
    const response = await fetch(`${base}/api/v1/events?topics=feed`, {
      headers: { authorization: 'Bearer x', 'last-event-id': '1' },
      signal: aborter.signal,
    });
    await vi.waitFor(() => expect(replaying).toBe(true));
    aborter.abort();
    await response.text().catch(() => undefined); // aborted on purpose
    // The server saw the client leave while the replay still ran.
    await vi.waitFor(() => expect(registry.size).toBe(0));
    expect(subscribed).toBe(1);
    release();
    await vi.waitFor(() => expect(subscribed).toBe(0));
  });
});

describe('SSE resume across JetStream replicas', () => {
  let server: NatsServerInstance;
  const connections: NatsConnection[] = [];
  const hubs: NatsEventHub[] = [];

  const replica = async (): Promise<NatsEventHub> => {
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    const hub = createNatsEventHub({ js: jetstream(nc), nc, log: createLogger({ level: 'silent' }) });
    feed(hub);
    hubs.push(hub);
    await hub.ready();
    return hub;
  };

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    for (const nc of connections) await nc.close();
    await server?.stop();
  });

  it('a stream on A resumes with what B published, including while A replayed, each once and in order', async () => {
    const a = await replica();
    const b = await replica();
    await resumesWithoutLossOrDuplicate(a, b);
  });
});
