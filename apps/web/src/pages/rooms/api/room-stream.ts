// A room's live stream (Server-Sent Events read with fetch): reconnects on a backoff when it drops, resuming
// with Last-Event-ID so nothing sent meanwhile is lost; stops for good when the server refuses it (4xx).
import { ApiError } from '../../../api/api-error';
import { backoffDelay } from '../../../api/backoff';
import type { ConnectionMonitor } from '../../../api/connection';
import { readError } from './bus-client';
import { createSseParser, type SseEvent } from './sse-parser';

export interface RoomStreamOptions {
  url: string;
  /** Resume after this message (the newest one already on screen). */
  lastEventId?: string | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  connection?: ConnectionMonitor | null;
  onOpen(): void;
  onEvent(event: SseEvent): void;
  /** The stream dropped (or could not open); a reconnect is scheduled. */
  onLost(): void;
  /** The server refused the stream with a 4xx (signed out, not a member, no such room): no reconnect. */
  onRefused(error: ApiError): void;
  /** Delay before reconnect number `attempt`. @default backoffDelay (1 s doubling to 30 s, jittered) */
  delay?: (attempt: number) => number;
}

export interface RoomStream {
  close(): void;
}

export function openRoomStream(options: RoomStreamOptions): RoomStream {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const delay = options.delay ?? ((attempt: number) => backoffDelay(attempt, { maxMs: 15_000 }));
  let lastEventId = options.lastEventId;
  let closed = false;
  let attempt = 0;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    timer = undefined;
    controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
    try {
      const response = await doFetch(options.url, {
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      if (!response.ok) {
        const error = await readError(response);
        if (
          response.status >= 400 &&
          response.status < 500 &&
          response.status !== 408 &&
          response.status !== 429
        ) {
          options.connection?.reportReachable();
          closed = true;
          options.onRefused(error);
          return;
        }
        throw error;
      }
      if (!response.body) throw new Error('The stream has no body');
      options.connection?.reportReachable();
      attempt = 0;
      options.onOpen();
      const parser = createSseParser((event) => {
        if (event.id !== undefined) lastEventId = event.id;
        options.onEvent(event);
      }, lastEventId);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || closed) break;
        parser.push(value);
      }
    } catch (error) {
      if (closed) return;
      // No answer at all is the first sign the server may be gone; let the banner find out.
      if (!(error instanceof ApiError)) void options.connection?.check();
    }
    if (closed) return;
    options.onLost();
    timer = setTimeout(connect, delay(attempt));
    attempt += 1;
  };

  // Once the server answers again, reconnect at once instead of when the backoff says.
  const unsubscribe = options.connection?.onReconnect(() => {
    if (closed || timer === undefined) return;
    clearTimeout(timer);
    void connect();
  });

  void connect();
  return {
    close() {
      closed = true;
      unsubscribe?.();
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
