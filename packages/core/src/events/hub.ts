// In-process event hub: topics with optional history for Last-Event-ID resume, and per-topic access rules.

import { CoreError } from '../errors.js';
import type { Principal } from '../module.js';

export interface EventEnvelope<T = unknown> {
  /** Monotonic per process; what SSE sends as `id:` and a client returns as Last-Event-ID. */
  id: string;
  topic: string;
  type: string;
  data: T;
  at: string;
}

export interface TopicDefinition {
  /** Exact name (`accounts.users`) or a prefix pattern ending in `.*` (`deploy.logs.*`). */
  pattern: string;
  /** How many recent events to keep for resume; 0 keeps none. */
  history: number;
  /** Who may subscribe; fails closed (an exception denies). */
  authorize(principal: Principal, topic: string): boolean | Promise<boolean>;
}

export type EventListener = (event: EventEnvelope) => void;

export interface EventBus {
  defineTopic(definition: TopicDefinition): void;
  publish<T>(topic: string, type: string, data: T): EventEnvelope<T>;
  /** Returns the unsubscribe function. */
  subscribe(topics: readonly string[], listener: EventListener): () => void;
  /** Events after `afterId` on the given topics, oldest first (only what history kept). */
  replay(topics: readonly string[], afterId: string): EventEnvelope[];
  /** Throws unknown_topic / forbidden_topic; used by the SSE route before it opens a stream. */
  authorize(principal: Principal, topics: readonly string[]): Promise<void>;
}

export function createEventHub(clock: () => number = Date.now): EventBus {
  const definitions: TopicDefinition[] = [];
  const listeners = new Map<string, Set<EventListener>>();
  const histories = new Map<string, EventEnvelope[]>();
  let sequence = 0;

  const definitionOf = (topic: string): TopicDefinition | undefined =>
    definitions.find((definition) =>
      definition.pattern.endsWith('.*')
        ? topic.startsWith(definition.pattern.slice(0, -1)) && topic.length > definition.pattern.length - 1
        : definition.pattern === topic,
    );

  return {
    defineTopic(definition) {
      if (definitions.some((existing) => existing.pattern === definition.pattern))
        throw new Error(`topic ${definition.pattern} is defined twice`);
      definitions.push(definition);
    },
    publish(topic, type, data) {
      sequence += 1;
      const event = { id: String(sequence), topic, type, data, at: new Date(clock()).toISOString() };
      const keep = definitionOf(topic)?.history ?? 0;
      if (keep > 0) {
        const history = histories.get(topic) ?? [];
        history.push(event);
        if (history.length > keep) history.splice(0, history.length - keep);
        histories.set(topic, history);
      }
      for (const listener of listeners.get(topic) ?? []) listener(event);
      return event;
    },
    subscribe(topics, listener) {
      for (const topic of topics) {
        const set = listeners.get(topic) ?? new Set();
        set.add(listener);
        listeners.set(topic, set);
      }
      return () => {
        for (const topic of topics) {
          const set = listeners.get(topic);
          set?.delete(listener);
          if (set?.size === 0) listeners.delete(topic);
        }
      };
    },
    replay(topics, afterId) {
      const after = Number(afterId);
      if (!Number.isSafeInteger(after)) return [];
      return topics
        .flatMap((topic) => histories.get(topic) ?? [])
        .filter((event) => Number(event.id) > after)
        .sort((a, b) => Number(a.id) - Number(b.id));
    },
    async authorize(principal, topics) {
      for (const topic of topics) {
        const definition = definitionOf(topic);
        if (!definition) throw new CoreError('unknown_topic', `Unknown event topic "${topic}"`);
        let allowed = false;
        try {
          allowed = await definition.authorize(principal, topic);
        } catch {
          allowed = false; // fail closed: a broken rule denies
        }
        if (!allowed) throw new CoreError('forbidden_topic', `You may not subscribe to "${topic}"`);
      }
    },
  };
}
