// Replay on the JetStream hub: the stored events of each topic after a cursor, read with a short-lived
// ordered consumer per topic, then cut to each topic's own history.

import type { JetStreamClient } from '@nats-io/jetstream';
import { subjectOf } from './envelope.js';
import type { EventEnvelope } from './hub.js';

export interface StoredEvent {
  subject: string;
  seq: number;
  data: Uint8Array;
}

/**
 * The messages on `topic` (a name or a pattern) from stream sequence `fromSeq` on, oldest first, at most
 * `limit` of them (the oldest, when more are stored). An ordered consumer in memory, deleted afterwards;
 * on a 2.9 server a consumer takes one filter, hence one per topic.
 */
export async function readTopic(
  js: JetStreamClient,
  stream: string,
  topic: string,
  fromSeq: number,
  limit: number,
  expiresMs: number,
): Promise<StoredEvent[]> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: subjectOf(topic),
    opt_start_seq: fromSeq,
  });
  try {
    const pending = (await consumer.info(true)).num_pending;
    if (pending === 0) return [];
    const wanted = Math.min(pending, limit);
    const found: StoredEvent[] = [];
    // The fetch ends once `wanted` messages came, or at `expires` with what came by then.
    const messages = await consumer.fetch({ max_messages: wanted, expires: Math.max(1000, expiresMs) });
    for await (const message of messages)
      found.push({ subject: message.subject, seq: message.seq, data: message.data });
    return found;
  } finally {
    // Not awaited: the consumer is in memory and the server drops it when idle if this delete is lost.
    consumer.delete().catch(() => undefined);
  }
}

/**
 * Oldest first, one copy of each message (overlapping topics such as `a.b` and `a.*` read some twice),
 * malformed ones left out by `decode`, and of each topic only its newest `historyOf(topic)` events: the
 * stream keeps the largest history of all topics, a topic's own may be shorter.
 */
export function newestPerTopic(
  messages: readonly StoredEvent[],
  decode: (message: StoredEvent) => EventEnvelope | undefined,
  historyOf: (topic: string) => number,
): EventEnvelope[] {
  const unique = new Map(messages.map((message) => [message.seq, message]));
  const events = [...unique.values()]
    .sort((a, b) => a.seq - b.seq)
    .map(decode)
    .filter((event) => event !== undefined);
  const byTopic = new Map<string, EventEnvelope[]>();
  for (const event of events) {
    const list = byTopic.get(event.topic) ?? [];
    list.push(event);
    byTopic.set(event.topic, list);
  }
  const kept = new Set(
    [...byTopic.entries()].flatMap(([topic, list]) => {
      const keep = historyOf(topic);
      return keep === 0 ? [] : list.slice(-keep);
    }),
  );
  return events.filter((event) => kept.has(event));
}
