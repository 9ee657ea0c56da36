// The wire form of an event on NATS: subject `events.<topic>`, a JSON body `{ type, data, at }`, the id
// taken from the stream sequence. Whatever arrives on an `events.` subject is checked before a listener
// sees it: anyone allowed to publish there could send anything.

import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { EventEnvelope } from './hub.js';
import { isTopicName } from './topics.js';

export const SUBJECT_PREFIX = 'events.';

export const subjectOf = (topic: string): string => `${SUBJECT_PREFIX}${topic}`;

const WireEvent = Compile(
  Type.Object(
    {
      type: Type.String({ minLength: 1, maxLength: 128 }),
      at: Type.String({ format: 'date-time', maxLength: 64 }),
      data: Type.Unknown(),
    },
    { additionalProperties: false },
  ),
);

export function encodeEvent(event: Pick<EventEnvelope, 'type' | 'data' | 'at'>): Uint8Array {
  return Buffer.from(JSON.stringify({ type: event.type, data: event.data, at: event.at }), 'utf8');
}

export type Decoded = { ok: true; event: EventEnvelope } | { ok: false; problem: string };

/** Checks one stored message; `seq` is its stream sequence, which becomes the event's id. */
export function decodeEvent(subject: string, seq: number, body: Uint8Array): Decoded {
  const topic = subject.startsWith(SUBJECT_PREFIX) ? subject.slice(SUBJECT_PREFIX.length) : '';
  if (!isTopicName(topic)) return { ok: false, problem: 'subject is not events.<topic>' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return { ok: false, problem: 'body is not JSON' };
  }
  if (!WireEvent.Check(parsed)) return { ok: false, problem: 'body is not { type, data, at }' };
  const { type, data, at } = parsed;
  return { ok: true, event: { id: String(seq), topic, type, data, at } };
}
