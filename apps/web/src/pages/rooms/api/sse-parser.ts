// Server-Sent Events parsing (the WHATWG "event stream interpretation"), for a stream read with fetch: the
// room stream is read that way so it can send Last-Event-ID itself and see the HTTP status of a refusal,
// which EventSource hides.

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  type: string;
  data: string;
  /** The last `id:` seen up to this event (ids carry over to later events without one), or undefined. */
  id: string | undefined;
}

export interface SseParser {
  /** Feeds decoded text; calls `onEvent` for every complete event in it. */
  push(chunk: string): void;
  /** The last event id seen (what to send as Last-Event-ID on reconnect). */
  lastEventId(): string | undefined;
}

/**
 * @example
 * const parser = createSseParser((event) => console.log(event.type, event.data));
 * parser.push('event: message\nid: 01J…\ndata: {"body":"hi"}\n\n');
 */
export function createSseParser(onEvent: (event: SseEvent) => void, initialId?: string): SseParser {
  let buffer = '';
  let afterCr = false;
  let type = '';
  let data: string[] = [];
  let lastId = initialId;

  const dispatch = () => {
    // An event with no data line is not dispatched (the spec), which also skips heartbeats' blank lines.
    if (data.length > 0) onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), id: lastId });
    type = '';
    data = [];
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // a comment: keep-alive
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    // An id with a NUL is ignored (the spec): it could not be sent back in a header.
    else if (field === 'id' && !value.includes('\0')) lastId = value === '' ? undefined : value;
    // `retry:` and unknown fields: the reconnect schedule is ours.
  };

  return {
    push(chunk) {
      buffer += chunk;
      // The \n of a \r\n split between two chunks: the line already ended at the \r.
      if (afterCr && buffer.startsWith('\n')) buffer = buffer.slice(1);
      afterCr = false;
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/);
        if (end === -1) break;
        const width = buffer.startsWith('\r\n', end) ? 2 : 1;
        if (buffer[end] === '\r' && width === 1 && end === buffer.length - 1) afterCr = true;
        line(buffer.slice(0, end));
        buffer = buffer.slice(end + width);
      }
    },
    lastEventId: () => lastId,
  };
}
