// A hub's local subscribers: exact topics looked up directly, patterns matched with NATS wildcard meanings,
// each subscription called once per event, and a throwing listener isolated from the others.

import type { Logger } from 'pino';
import type { EventEnvelope, EventListener } from './hub.js';
import { isTopicPattern, isWildcard, matchesTopic } from './topics.js';

interface Subscription {
  topics: readonly string[];
  listener: EventListener;
}

export interface ListenerRegistry {
  /** Returns the unsubscribe function; throws on a topic that is neither a name nor a pattern. */
  add(topics: readonly string[], listener: EventListener): () => void;
  dispatch(event: EventEnvelope): void;
  readonly size: number;
}

export function createListenerRegistry(log: Logger | undefined): ListenerRegistry {
  const byTopic = new Map<string, Set<Subscription>>();
  const wildcards = new Set<Subscription>();
  let size = 0;

  return {
    get size() {
      return size;
    },
    add(topics, listener) {
      const bad = topics.find((topic) => !isTopicPattern(topic));
      if (bad !== undefined) throw new Error(`cannot subscribe to "${bad}": not a topic or pattern`);
      const subscription: Subscription = { topics: [...new Set(topics)], listener };
      const exact = subscription.topics.filter((topic) => !isWildcard(topic));
      for (const topic of exact) {
        const set = byTopic.get(topic) ?? new Set();
        set.add(subscription);
        byTopic.set(topic, set);
      }
      const patterned = exact.length < subscription.topics.length;
      if (patterned) wildcards.add(subscription);
      size += 1;
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        size -= 1;
        wildcards.delete(subscription);
        for (const topic of exact) {
          const set = byTopic.get(topic);
          set?.delete(subscription);
          if (set?.size === 0) byTopic.delete(topic);
        }
      };
    },
    dispatch(event) {
      const called = new Set<Subscription>();
      for (const subscription of byTopic.get(event.topic) ?? []) called.add(subscription);
      for (const subscription of wildcards)
        if (subscription.topics.some((topic) => matchesTopic(topic, event.topic))) called.add(subscription);
      for (const { listener } of called) {
        try {
          listener(event);
        } catch (error) {
          // One broken subscriber must not keep the event from the others, nor fail the publisher.
          if (log) log.error({ err: error, topic: event.topic, eventId: event.id }, 'event listener failed');
          else process.emitWarning(`event listener failed on ${event.topic}: ${String(error)}`);
        }
      }
    },
  };
}
