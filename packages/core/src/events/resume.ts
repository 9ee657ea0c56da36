// One client's feed that resumes after a cursor: subscribe first, then replay, so nothing published
// between the two is lost, and drop what both deliver, so nothing is sent twice.

import type { EventBus, EventEnvelope } from './hub.js';

/**
 * Subscribes to `topics`, holding live events back while it replays what came after `cursor`; sends the
 * replay, then the held events, then each later one — in order, each once: an event is sent only if it came
 * after the last one sent (the bus compares its own cursors). Without a cursor it only subscribes.
 * Resolves to the unsubscribe function; rejects (unsubscribed) when the replay fails.
 */
export async function followFrom(
  events: EventBus,
  topics: readonly string[],
  cursor: string | undefined,
  send: (event: EventEnvelope) => void,
): Promise<() => void> {
  let lastSent = cursor;
  const forward = (event: EventEnvelope): void => {
    if (lastSent !== undefined && !events.isAfter(event.id, lastSent)) return;
    lastSent = event.id;
    send(event);
  };
  let held: EventEnvelope[] | undefined = cursor === undefined ? undefined : [];
  const unsubscribe = events.subscribe(topics, (event) => {
    if (held) held.push(event);
    else forward(event);
  });
  if (cursor === undefined || held === undefined) return unsubscribe;
  try {
    for (const event of await events.replay(topics, cursor)) forward(event);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  // Held events: those the replay also returned are dropped by `forward`, the later ones go out in order.
  for (const event of held) forward(event);
  held = undefined;
  return unsubscribe;
}
