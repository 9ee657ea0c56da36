// The topic definitions one bus knows: which definition a topic falls under, its history, and who may
// subscribe to it (per topic, failing closed). Shared by the in-process and the JetStream hub.

import { CoreError } from '../errors.js';
import type { Principal } from '../module.js';
import type { TopicDefinition } from './hub.js';
import { isTopicName, isTopicPattern, isWildcard, matchesTopic } from './topics.js';

export interface TopicCatalogue {
  define(definition: TopicDefinition): void;
  definitionOf(topic: string): TopicDefinition | undefined;
  /** How many events of `topic` to keep; 0 for a topic nobody defined. */
  historyOf(topic: string): number;
  /** The largest history of any definition (what a stream must keep per subject). */
  readonly largestHistory: number;
  authorize(principal: Principal, topics: readonly string[]): Promise<void>;
}

export function createTopicCatalogue(options: { maxHistory?: number } = {}): TopicCatalogue {
  const exact = new Map<string, TopicDefinition>();
  const patterns: TopicDefinition[] = [];
  let largest = 0;

  const definitionOf = (topic: string): TopicDefinition | undefined =>
    exact.get(topic) ?? patterns.find((definition) => matchesTopic(definition.pattern, topic));

  return {
    define(definition) {
      const { pattern, history } = definition;
      if (!isTopicPattern(pattern)) throw new Error(`topic pattern "${pattern}" is not valid`);
      if (!Number.isSafeInteger(history) || history < 0)
        throw new Error(`topic ${pattern}: history must be a whole number ≥ 0`);
      if (options.maxHistory !== undefined && history > options.maxHistory)
        throw new Error(
          `topic ${pattern}: history ${history} exceeds this hub's limit of ${options.maxHistory}`,
        );
      if (exact.has(pattern) || patterns.some((existing) => existing.pattern === pattern))
        throw new Error(`topic ${pattern} is defined twice`);
      if (isWildcard(pattern)) patterns.push(definition);
      else exact.set(pattern, definition);
      largest = Math.max(largest, history);
    },
    definitionOf,
    historyOf: (topic) => definitionOf(topic)?.history ?? 0,
    get largestHistory() {
      return largest;
    },
    async authorize(principal, topics) {
      for (const topic of topics) {
        // A wildcard is not a topic one may subscribe to: each concrete topic is authorised on its own.
        const definition = isTopicName(topic) ? definitionOf(topic) : undefined;
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
