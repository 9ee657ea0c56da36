// The in-process event hub, the single-node default: delivery to this process's subscribers before
// `publish` resolves, and a bounded history per topic for Last-Event-ID resume.

import type { Logger } from 'pino';
import { createTopicCatalogue } from './catalogue.js';
import type { EventBus, EventEnvelope } from './hub.js';
import { createListenerRegistry } from './listeners.js';
import { isTopicName, matchesTopic } from './topics.js';

export interface EventHubOptions {
  clock?: () => number;
  /** Where a failing listener is reported (a process warning without it). */
  log?: Logger;
}

/**
 * Ids are a counter that starts at the clock (µs since the epoch) rather than 0, so a restarted process does
 * not hand out ids a client already holds from the previous one: its old cursor stays older than every new
 * event instead of hiding the next ones from it.
 *
 * @example
 *   const events = createEventHub({ clock, log });
 *   events.defineTopic({ pattern: 'nas.shares.*', history: 10, authorize: (p, topic) => … });
 *   await events.publish('nas.shares.u1', 'shares.changed', {});
 */
// A bare clock is still accepted: the composition root's call predates the options.
export function createEventHub(options: EventHubOptions | (() => number) = {}): EventBus {
  const { clock = Date.now, log } = typeof options === 'function' ? { clock: options } : options;
  const catalogue = createTopicCatalogue();
  const listeners = createListenerRegistry(log);
  const histories = new Map<string, EventEnvelope[]>();
  let sequence = Math.floor(clock()) * 1000;

  /** A cursor this hub issued: a whole number no later than its last id. */
  const place = (cursor: string): number | undefined => {
    if (!/^\d{1,16}$/.test(cursor)) return undefined;
    const value = Number(cursor);
    return value <= sequence ? value : undefined;
  };

  return {
    defineTopic: (definition) => catalogue.define(definition),
    async publish(topic, type, data) {
      if (!isTopicName(topic)) throw new Error(`cannot publish on "${topic}": not a topic name`);
      sequence += 1;
      const event = { id: String(sequence), topic, type, data, at: new Date(clock()).toISOString() };
      const keep = catalogue.historyOf(topic);
      if (keep > 0) {
        const history = histories.get(topic) ?? [];
        history.push(event);
        if (history.length > keep) history.splice(0, history.length - keep);
        histories.set(topic, history);
      }
      listeners.dispatch(event);
      return event;
    },
    subscribe: (topics, listener) => listeners.add(topics, listener),
    async replay(topics, afterId) {
      const after = place(afterId);
      if (after === undefined) return [];
      const kept = [...histories.entries()]
        .filter(([topic]) => topics.some((pattern) => matchesTopic(pattern, topic)))
        .flatMap(([, history]) => history);
      return kept.filter((event) => Number(event.id) > after).sort((a, b) => Number(a.id) - Number(b.id));
    },
    isAfter(id, cursor) {
      const after = place(cursor);
      return after === undefined || Number(id) > after;
    },
    authorize: (principal, topics) => catalogue.authorize(principal, topics),
  };
}
