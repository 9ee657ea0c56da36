// The events hub across replicas on NATS JetStream: one stream (`events.<topic>` subjects) every replica
// publishes to and reads from. An event's id is its stream sequence, so a cursor from one replica resumes on
// any other.

import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NatsError } from '../nats/errors.js';
import { createTopicCatalogue } from './catalogue.js';
import { decodeEvent, encodeEvent, SUBJECT_PREFIX, subjectOf } from './envelope.js';
import type { EventBus, EventEnvelope } from './hub.js';
import { createListenerRegistry } from './listeners.js';
import { newestPerTopic, readTopic, type StoredEvent } from './nats-replay.js';
import { type EventStreamSettings, ensureEventStream } from './nats-stream.js';
import { isTopicName, isWildcard } from './topics.js';

export interface NatsEventHubOptions {
  js: JetStreamClient;
  nc: NatsConnection;
  log: Logger;
  clock?: () => number;
  /** Stream name (default `HOMEPORT_EVENTS`); it takes the `events.>` subjects, so one per NATS account. */
  stream?: string;
  /** Copies of the stream in a cluster (default 1; 3 on a three-node cluster, like the KV buckets). */
  replicas?: number;
  /** Events kept per topic (default 100); a topic defined with a longer history is refused at start. */
  maxHistory?: number;
  /** Events older than this are dropped from the stream, whatever their topic's history (default 1 day). */
  maxAgeMs?: number;
  /** Bound of the whole stream (default 64 MiB); the oldest events go first. */
  maxBytes?: number;
  /** Longest a publish or a replay may take before it rejects with `nats_unavailable` (default 3 s). */
  timeoutMs?: number;
  /** Most events one replay reads per topic pattern (default 1000). */
  replayLimit?: number;
}

/** The JetStream hub: an EventBus, plus what the composition root and tests need around it. */
export interface NatsEventHub extends EventBus {
  /** Resolves once the stream exists and this replica receives events (retried in the background). */
  ready(): Promise<void>;
  /** Stops live delivery; the NATS connection stays open (its owner closes it). */
  close(): Promise<void>;
}

const positive = (name: string, value: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new Error(`createNatsEventHub: ${name} must be a whole number from 1 to ${max}`);
  return value;
};

/** A cursor of a JetStream hub: a stream sequence. */
const sequenceOf = (cursor: string): number | undefined =>
  /^\d{1,15}$/.test(cursor) ? Number(cursor) : undefined;

async function within<T>(what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new NatsError('nats_unavailable', `NATS did not ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (error instanceof NatsError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new NatsError('nats_unavailable', `NATS failed to ${what}: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Subscribers get events from every replica through one ordered consumer per replica on `events.>`, not a
 * core NATS subscription: a core subscriber sees no stream sequence (so no cursor to resume from) and loses
 * what is published while it reconnects, where the ordered consumer resumes at the last sequence it
 * delivered. It costs a little latency (the event is stored before it is delivered).
 *
 * @example
 *   const events = createNatsEventHub({ js: nats.js, nc: nats.nc, log, replicas: 3 });
 *   lifecycle.onShutdown('events', () => events.close());
 */
export function createNatsEventHub(options: NatsEventHubOptions): NatsEventHub {
  const { js, nc, log } = options;
  const clock = options.clock ?? Date.now;
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 3000);
  const replayLimit = positive('replayLimit', options.replayLimit ?? 1000);
  const settings: EventStreamSettings = {
    name: options.stream ?? 'HOMEPORT_EVENTS',
    replicas: positive('replicas', options.replicas ?? 1, 5),
    maxPerTopic: positive('maxHistory', options.maxHistory ?? 100),
    maxAgeMs: positive('maxAgeMs', options.maxAgeMs ?? 24 * 3600_000),
    maxBytes: positive('maxBytes', options.maxBytes ?? 64 * 1024 * 1024),
  };
  const catalogue = createTopicCatalogue({ maxHistory: settings.maxPerTopic });
  const listeners = createListenerRegistry(log);
  // The highest stream sequence this replica has seen: a cursor above it comes from a stream that no
  // longer exists (deleted and created again), so it cannot tell what a client already has.
  let highest = 0;
  const saw = (seq: number) => {
    highest = Math.max(highest, seq);
  };
  let closed = false;
  let live: ConsumerMessages | undefined;
  const closing = new AbortController();
  /** Backoff between attempts, cut short by close(). */
  const pause = (attempt: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(5000, 250 * 2 ** attempt));
      timer.unref();
      closing.signal.addEventListener('abort', done);
    });

  const toEvent = (message: StoredEvent): EventEnvelope | undefined => {
    const decoded = decodeEvent(message.subject, message.seq, message.data);
    if (decoded.ok) return decoded.event;
    log.warn(
      { subject: message.subject, seq: message.seq, problem: decoded.problem },
      'malformed event dropped',
    );
    return undefined;
  };

  // The stream first: until it exists nothing can be published or replayed. Retried without end, since a
  // cluster starting together has no JetStream quorum for a while.
  let manager: JetStreamManager | undefined;
  const streamReady: Promise<number> = (async () => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        manager ??= await js.jetstreamManager();
        const info = await ensureEventStream(manager, settings);
        saw(info.state.last_seq);
        return info.state.last_seq;
      } catch (error) {
        if (closed || nc.isClosed()) throw new NatsError('nats_unavailable', 'events hub closed');
        log.warn({ err: error, stream: settings.name, attempt }, 'events stream not ready; retrying');
        await pause(attempt);
      }
    }
  })();
  streamReady.catch(() => undefined); // observed by publish, replay and ready()

  let resolveDelivering: () => void = () => undefined;
  const delivering = new Promise<void>((resolve) => {
    resolveDelivering = resolve;
  });

  // Live delivery: from the sequence after the last stored at start, resumed after the last delivered one
  // whenever the consumer has to be made again.
  const deliver = async (): Promise<void> => {
    let next = (await streamReady) + 1;
    for (let attempt = 0; !closed && !nc.isClosed(); attempt += 1) {
      try {
        const consumer = await js.consumers.get(settings.name, {
          filter_subjects: `${SUBJECT_PREFIX}>`,
          opt_start_seq: next,
        });
        // Short pulls: heartbeats every 2.5 s, so a consumer lost with its server is noticed and made again.
        live = await consumer.consume({ max_messages: 256, expires: 5000 });
        if (closed) await live.close();
        resolveDelivering();
        attempt = 0;
        for await (const message of live) {
          next = message.seq + 1;
          saw(message.seq);
          const event = toEvent(message);
          if (event) listeners.dispatch(event);
        }
      } catch (error) {
        if (!closed) log.warn({ err: error, next }, 'live events interrupted; resuming');
      }
      if (!closed) await pause(attempt);
    }
  };
  const delivery = deliver().catch((error: unknown) => {
    if (!closed) log.error({ err: error }, 'live events stopped');
  });

  return {
    defineTopic: (definition) => catalogue.define(definition),
    async publish(topic, type, data) {
      if (!isTopicName(topic)) throw new Error(`cannot publish on "${topic}": not a topic name`);
      const at = new Date(clock()).toISOString();
      const body = encodeEvent({ type, data, at });
      const started = Date.now();
      const ack = await within(`store the event on ${topic}`, timeoutMs, async () => {
        await streamReady;
        const left = Math.max(1, timeoutMs - (Date.now() - started));
        return js.publish(subjectOf(topic), body, { timeout: left });
      });
      saw(ack.seq);
      return { id: String(ack.seq), topic, type, data, at };
    },
    subscribe: (topics, listener) => listeners.add(topics, listener),
    async replay(topics, afterId) {
      const after = sequenceOf(afterId);
      const readable = topics.filter((topic) => isWildcard(topic) || catalogue.historyOf(topic) > 0);
      if (after === undefined || readable.length === 0) return [];
      const started = Date.now();
      const stored = await within('replay events', timeoutMs, async () => {
        await streamReady;
        manager ??= await js.jetstreamManager();
        const last = (await manager.streams.info(settings.name)).state.last_seq;
        saw(last);
        if (after >= last) return [];
        const left = () => timeoutMs - (Date.now() - started);
        const read = await Promise.all(
          readable.map((topic) => readTopic(js, settings.name, topic, after + 1, replayLimit, left())),
        );
        return read.flat();
      });
      return newestPerTopic(stored, toEvent, catalogue.historyOf);
    },
    isAfter(id, cursor) {
      const seq = sequenceOf(cursor);
      return seq === undefined || seq > highest || Number(id) > seq;
    },
    authorize: (principal, topics) => catalogue.authorize(principal, topics),
    async ready() {
      await streamReady;
      await delivering;
    },
    async close() {
      closed = true;
      closing.abort();
      await live?.close();
      // A JetStream call in flight ends within its own timeout; shutdown does not wait for it.
      await Promise.race([delivery, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}
