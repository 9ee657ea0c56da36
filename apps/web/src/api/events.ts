// Live updates from `/api/v1/events` (Server-Sent Events) with our own reconnect schedule.
import { useEffect, useRef } from 'react';
import { backoffDelay } from './backoff';
import { useConnectionMonitor } from './connection-context';
import type { HomeportEvent } from './types';

export interface UseEventsOptions {
  /**
   * SSE event types to receive (the `event:` field, e.g. `user.created`). EventSource delivers a named
   * event only to listeners registered for that exact name and has no wildcard, so they must be listed.
   * Unnamed events (`message`) are always delivered.
   */
  types?: readonly string[];
  /**
   * Called each time the stream opens again after a drop. Events published while disconnected are
   * lost, so this is where a page reloads what it shows.
   */
  onReconnect?: () => void;
  /** @default true */
  enabled?: boolean;
}

/**
 * Subscribes to `topics` for as long as the component is mounted.
 *
 * @example
 * useEvents(['accounts.users'], () => reload(), { types: ['user.created', 'user.updated'] });
 */
export function useEvents(
  topics: readonly string[],
  onEvent: (event: HomeportEvent) => void,
  options: UseEventsOptions = {},
): void {
  // Callbacks live in refs so that a new closure on every render does not reopen the stream.
  const onEventRef = useRef(onEvent);
  const onReconnectRef = useRef(options.onReconnect);
  useEffect(() => {
    onEventRef.current = onEvent;
    onReconnectRef.current = options.onReconnect;
  });

  const monitor = useConnectionMonitor();
  const enabled = options.enabled ?? true;
  const topicsKey = [...topics].sort().join(',');
  const typesKey = [...(options.types ?? [])].sort().join(',');

  useEffect(() => {
    if (!enabled || topicsKey === '') return;
    const baseUrl = `/api/v1/events?topics=${encodeURIComponent(topicsKey)}`;
    // Our own reconnects open a new EventSource, which cannot send Last-Event-ID; the server takes the
    // last id seen as a query parameter instead and replays what was missed.
    let lastEventId: string | undefined;
    const types = ['message', ...(typesKey === '' ? [] : typesKey.split(','))];

    let source: EventSource | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let hasOpened = false;
    let stopped = false;

    const deliver = (message: MessageEvent<string>) => {
      const event = parseEvent(message.data);
      if (!event) return;
      lastEventId = event.id;
      onEventRef.current(event);
    };

    const connect = () => {
      retryTimer = undefined;
      const url =
        lastEventId === undefined ? baseUrl : `${baseUrl}&lastEventId=${encodeURIComponent(lastEventId)}`;
      const current = new EventSource(url, { withCredentials: true });
      source = current;
      current.addEventListener('open', () => {
        attempt = 0;
        monitor?.reportReachable();
        if (hasOpened) onReconnectRef.current?.();
        hasOpened = true;
      });
      current.addEventListener('error', () => {
        // EventSource would retry on its own at a fixed short interval (and gives up for good on
        // some HTTP errors); close it and come back on our backoff schedule instead.
        current.close();
        if (stopped) return;
        // EventSource does not say why; a dropped stream is often the first sign the server is gone.
        void monitor?.check();
        retryTimer = setTimeout(connect, backoffDelay(attempt));
        attempt += 1;
      });
      for (const type of types) current.addEventListener(type, deliver);
    };

    connect();
    // Once the server answers again, reconnect at once instead of when the backoff timer says.
    const unsubscribe = monitor?.onReconnect(() => {
      if (stopped || retryTimer === undefined) return;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      if (source?.readyState === EventSource.CLOSED) connect();
    });
    return () => {
      unsubscribe?.();
      stopped = true;
      clearTimeout(retryTimer);
      source?.close();
    };
  }, [enabled, topicsKey, typesKey, monitor]);
}

/** The stream is input from outside the page: check its shape instead of trusting a cast. */
function parseEvent(raw: string): HomeportEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    console.error('Ignoring an event that is not JSON', error);
    return undefined;
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    'id' in value &&
    typeof value.id === 'string' &&
    'topic' in value &&
    typeof value.topic === 'string' &&
    'type' in value &&
    typeof value.type === 'string' &&
    'at' in value &&
    typeof value.at === 'string'
  ) {
    return {
      id: value.id,
      topic: value.topic,
      type: value.type,
      at: value.at,
      data: 'data' in value ? value.data : null,
    };
  }
  console.error('Ignoring an event with an unexpected shape', value);
  return undefined;
}
