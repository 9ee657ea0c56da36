// The event bus contract both hubs keep: the in-process hub (one node, the default) and the JetStream hub
// (replicas on NATS). Envelopes, topic definitions, cursors and what each call promises.

import type { Principal } from '../module.js';

export interface EventEnvelope<T = unknown> {
  /**
   * An opaque cursor: what SSE sends as `id:` and a client returns as Last-Event-ID. Only the bus that
   * issued it compares it (`isAfter`); in process it is a counter, on JetStream the stream sequence.
   */
  id: string;
  topic: string;
  type: string;
  data: T;
  at: string;
}

export interface TopicDefinition {
  /**
   * A topic (`accounts.users`) or a pattern with NATS wildcard meanings: `*` is exactly one token
   * (`nas.shares.*` is `nas.shares.<userId>`, not `nas.shares.a.b`), `>` one or more at the end
   * (`deploy.logs.>`). An exact definition wins over a pattern that also matches.
   */
  pattern: string;
  /** How many recent events of each matching topic to keep for resume; 0 keeps none. */
  history: number;
  /** Who may subscribe; fails closed (an exception denies). */
  authorize(principal: Principal, topic: string): boolean | Promise<boolean>;
}

export type EventListener = (event: EventEnvelope) => void;

export interface EventBus {
  /** Throws on a pattern that is not valid or is defined twice (a programming error, found at start). */
  defineTopic(definition: TopicDefinition): void;
  /**
   * Resolves once the event is where every subscriber gets it (in process: delivered; JetStream:
   * acknowledged by the stream). Rejects within a bound when that cannot happen (NATS down:
   * `nats_unavailable`); the caller decides whether that fails its request. Throws on a topic that is not
   * a valid name (see `isTopicName`).
   */
  publish<T>(topic: string, type: string, data: T): Promise<EventEnvelope<T>>;
  /**
   * Calls `listener` with each later event whose topic matches one of `topics` (names or patterns with NATS
   * wildcards), once per event, oldest first. Returns the unsubscribe function. A listener that throws is
   * logged; it neither stops delivery to others nor fails the publish.
   */
  subscribe(topics: readonly string[], listener: EventListener): () => void;
  /**
   * Events after the cursor `afterId` on the given topics, oldest first, bounded by each topic's history.
   * A cursor this bus cannot place (garbage, another process's) replays nothing.
   */
  replay(topics: readonly string[], afterId: string): Promise<EventEnvelope[]>;
  /**
   * Whether the event `id` came after `cursor`; false only when this bus can place both and `id` is at or
   * before it. Lets a resumed stream drop events it already sent without reading the cursors.
   */
  isAfter(id: string, cursor: string): boolean;
  /** Throws unknown_topic / forbidden_topic; used by the SSE route before it opens a stream. */
  authorize(principal: Principal, topics: readonly string[]): Promise<void>;
}
