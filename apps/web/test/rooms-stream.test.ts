// The room stream's pieces where a real server cannot be made to misbehave on cue: SSE split at any byte,
// CRLF and comments, payload checks, and the reconnect that resumes with Last-Event-ID (the whole page runs
// against a real Homeport in test/browser/rooms.test.ts).
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../src/api/api-error';
import { openRoomStream } from '../src/pages/rooms/api/room-stream';
import { createSseParser, type SseEvent } from '../src/pages/rooms/api/sse-parser';
import { parseRoomMessage, parseStreamEvent } from '../src/pages/rooms/api/stream-events';

const message = (id: string, body = 'hi') => ({
  id,
  sender: 'ep',
  handle: 'alice',
  body,
  ts: 1,
  mine: false,
});

describe('createSseParser', () => {
  const wire =
    ': hello\r\nevent: message\r\nid: 01A\r\ndata: {"a":1}\r\n\r\nevent: state\ndata: {"state":"ok"}\n\n' +
    'data: line one\rdata: line two\r\r';

  it('gives the same events however the bytes are split', () => {
    const whole: SseEvent[] = [];
    createSseParser((event) => whole.push(event)).push(wire);
    expect(whole).toEqual([
      { type: 'message', data: '{"a":1}', id: '01A' },
      { type: 'state', data: '{"state":"ok"}', id: '01A' },
      { type: 'message', data: 'line one\nline two', id: '01A' },
    ]);
    for (let cut = 1; cut < wire.length; cut += 1) {
      const split: SseEvent[] = [];
      const parser = createSseParser((event) => split.push(event));
      parser.push(wire.slice(0, cut));
      parser.push(wire.slice(cut));
      expect(split, `cut at ${cut}`).toEqual(whole);
    }
  });

  it('dispatches nothing for an event without data, and keeps the last id', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event), '00Z');
    parser.push('id: 01B\n\n:keep-alive\n\n');
    expect(events).toEqual([]);
    expect(parser.lastEventId()).toBe('01B');
  });
});

describe('parseStreamEvent', () => {
  it('takes a message and a known state, and nothing else', () => {
    expect(parseStreamEvent({ type: 'message', data: JSON.stringify(message('01A')), id: '01A' })).toEqual({
      kind: 'message',
      message: message('01A'),
    });
    expect(parseStreamEvent({ type: 'state', data: '{"state":"removed"}', id: undefined })).toEqual({
      kind: 'state',
      state: 'removed',
    });
    const quiet = { error: console.error };
    console.error = () => undefined;
    try {
      expect(
        parseStreamEvent({ type: 'state', data: '{"state":"exploded"}', id: undefined }),
      ).toBeUndefined();
      expect(
        parseStreamEvent({ type: 'message', data: '{"id":"x","body":1}', id: undefined }),
      ).toBeUndefined();
      expect(parseStreamEvent({ type: 'message', data: 'not json', id: undefined })).toBeUndefined();
    } finally {
      console.error = quiet.error;
    }
    expect(parseStreamEvent({ type: 'typing', data: '{}', id: undefined })).toBeUndefined();
  });

  it('keeps a well-formed attachment and drops a message whose attachment cannot be offered', () => {
    const attachment = { id: 'blob1', name: 'notes.txt', size: 12, type: 'text/plain' };
    expect(parseRoomMessage({ ...message('01A'), attachment })).toEqual({ ...message('01A'), attachment });
    expect(parseRoomMessage({ ...message('01A'), attachment: null })).toEqual(message('01A'));
    for (const bad of [
      { ...attachment, id: '' },
      { ...attachment, size: -1 },
      { ...attachment, size: 1.5 },
      { ...attachment, name: 7 },
      'blob1',
    ])
      expect(parseRoomMessage({ ...message('01A'), attachment: bad }), JSON.stringify(bad)).toBeUndefined();
  });
});

/** A fetch that answers each call with the next scripted response. */
function scriptedFetch(responses: (() => Response)[]) {
  const calls: Headers[] = [];
  const fetch = async (_input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push(new Headers(init.headers));
    const next = responses.shift();
    if (!next) return new Promise<Response>(() => undefined); // stays open
    return next();
  };
  return { calls, fetch };
}

const sse = (text: string) =>
  new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });

describe('openRoomStream', () => {
  it('reconnects after a drop and resumes after the last message it saw', async () => {
    const first = `event: message\nid: 01B\ndata: ${JSON.stringify(message('01B'))}\n\n`;
    const second = `event: message\nid: 01C\ndata: ${JSON.stringify(message('01C'))}\n\n`;
    const server = scriptedFetch([() => sse(first), () => sse(second)]);
    const seen: string[] = [];
    const log: string[] = [];
    const done = new Promise<void>((resolve) => {
      const stream = openRoomStream({
        url: '/stream',
        lastEventId: '01A',
        fetch: server.fetch,
        delay: () => 0,
        onOpen: () => log.push('open'),
        onLost: () => log.push('lost'),
        onRefused: () => log.push('refused'),
        onEvent: (event) => {
          if (event.id) seen.push(event.id);
          if (event.id === '01C') {
            stream.close();
            resolve();
          }
        },
      });
    });
    await done;
    expect(seen).toEqual(['01B', '01C']);
    expect(server.calls.map((headers) => headers.get('last-event-id'))).toEqual(['01A', '01B']);
    expect(log).toEqual(['open', 'lost', 'open']);
  });

  it('stops for good when the server refuses the stream', async () => {
    const server = scriptedFetch([
      () =>
        new Response(JSON.stringify({ error: { code: 'bus_forbidden', message: 'Not a member' } }), {
          status: 403,
          headers: { 'content-type': 'application/json' },
        }),
    ]);
    const refused = await new Promise<ApiError>((resolve) => {
      openRoomStream({
        url: '/stream',
        fetch: server.fetch,
        delay: () => 0,
        onOpen: () => undefined,
        onLost: () => undefined,
        onEvent: () => undefined,
        onRefused: resolve,
      });
    });
    expect(refused.status).toBe(403);
    expect(refused.code).toBe('bus_forbidden');
    expect(server.calls).toHaveLength(1);
  });
});
