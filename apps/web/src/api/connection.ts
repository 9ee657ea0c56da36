// Whether the Homeport server can be reached: API calls and the event stream report what they see, and while
// it cannot, `/health` is probed on a backoff until it answers; then everyone who asked is told to reload.
import { backoffDelay } from './backoff';

export type ConnectionState =
  | { status: 'online' }
  /** `since`: when the first failure was seen (epoch ms); live data is no newer than that. */
  | { status: 'offline'; since: number };

export interface ConnectionMonitor {
  state(): ConnectionState;
  /** Called on every change of state. Returns the function that unsubscribes. */
  subscribe(listener: (state: ConnectionState) => void): () => void;
  /** Called once each time the server answers again after an outage: reload what may have changed. */
  onReconnect(listener: () => void): () => void;
  /** A request got no answer (connection refused, DNS, a proxy's 502): the server may be gone. */
  reportUnreachable(): void;
  /** Something answered: the server is there. */
  reportReachable(): void;
  /**
   * Asks `/health` now, e.g. after the event stream dropped (EventSource does not say why). Resolves with
   * whether the server answered.
   */
  check(): Promise<boolean>;
  /** Stops probing (tests, and a page being torn down). */
  stop(): void;
}

export interface ConnectionMonitorOptions {
  /** @default '/health' */
  healthUrl?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
  /** Probe delays while offline; the first probe goes at once. @default 1 s doubling to 10 s, jittered */
  probeDelay?: (attempt: number) => number;
  /** How long one probe may take before it counts as no answer. @default 5000 */
  probeTimeoutMs?: number;
}

export function createConnectionMonitor(options: ConnectionMonitorOptions = {}): ConnectionMonitor {
  const healthUrl = options.healthUrl ?? '/health';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const probeDelay = options.probeDelay ?? ((attempt) => backoffDelay(attempt, { maxMs: 10_000 }));
  const probeTimeoutMs = options.probeTimeoutMs ?? 5000;
  const listeners = new Set<(state: ConnectionState) => void>();
  const reconnectListeners = new Set<() => void>();
  let current: ConnectionState = { status: 'online' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let probing: Promise<boolean> | undefined;
  let stopped = false;

  const set = (next: ConnectionState) => {
    current = next;
    for (const listener of listeners) listener(next);
  };

  const goOnline = () => {
    clearTimeout(timer);
    timer = undefined;
    attempt = 0;
    if (current.status === 'online') return;
    set({ status: 'online' });
    for (const listener of reconnectListeners) listener();
  };

  const goOffline = () => {
    if (current.status === 'offline' || stopped) return;
    set({ status: 'offline', since: now() });
    scheduleProbe(0);
  };

  const scheduleProbe = (delay: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void probe().then((ok) => {
        if (!ok && current.status === 'offline' && !stopped) scheduleProbe(probeDelay(attempt++));
      });
    }, delay);
  };

  /** One request to /health at a time; concurrent askers share its answer. */
  const probe = (): Promise<boolean> => {
    probing ??= (async () => {
      try {
        // `cache` is a browser fetch option (the API client is also type-checked against Node's fetch in tests).
        const init: RequestInit & { cache?: 'no-store' } = {
          cache: 'no-store',
          signal: AbortSignal.timeout(probeTimeoutMs),
        };
        const response = await doFetch(healthUrl, init);
        // Any answer from Homeport itself means it is up; a proxy's 502/503/504 means it is not.
        return !isGatewayFailure(response.status);
      } catch {
        // No answer at all (refused, timed out): that is what we are finding out, not an error to report.
        return false;
      } finally {
        probing = undefined;
      }
    })().then((ok) => {
      if (ok) goOnline();
      else goOffline();
      return ok;
    });
    return probing;
  };

  return {
    state: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    reportUnreachable: goOffline,
    reportReachable: goOnline,
    check: probe,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** What a reverse proxy answers when Homeport behind it is down or restarting. */
export function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
