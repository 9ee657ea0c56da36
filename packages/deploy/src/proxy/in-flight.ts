// What is running through the proxy, per upstream origin, so a drain can wait for plain requests and close
// long-lived ones (WebSocket, Server-Sent Events) at once.

export interface Tracked {
  /** `http` until the response shows it is a stream (`text/event-stream`) or the socket is upgraded. */
  kind: 'http' | 'long';
  /** Ends the connection now (cut on drain timeout, or a long-lived one closed on drain). */
  close(): void;
}

export interface InFlightTable {
  add(origin: string, entry: Tracked): () => void;
  /** Marks a request long-lived once its response turns out to be a stream; closed at once if draining. */
  promote(origin: string, entry: Tracked): void;
  startDrain(origin: string): void;
  endDrain(origin: string): void;
  count(origin: string): { http: number; longLived: number };
  entries(origin: string): Tracked[];
  /** Resolves when no plain HTTP request to `origin` is left, or after `timeoutMs` with `false`. */
  waitForHttp(origin: string, timeoutMs: number): Promise<boolean>;
  all(): Tracked[];
  /** Origins with anything in flight. */
  origins(): string[];
}

export function createInFlightTable(): InFlightTable {
  const byOrigin = new Map<string, Set<Tracked>>();
  const waiters = new Map<string, Set<() => void>>();
  const draining = new Map<string, number>();

  function httpCount(origin: string): number {
    let n = 0;
    for (const entry of byOrigin.get(origin) ?? []) if (entry.kind === 'http') n++;
    return n;
  }

  function notify(origin: string): void {
    const set = waiters.get(origin);
    if (set === undefined || httpCount(origin) > 0) return;
    for (const wake of [...set]) wake();
  }

  return {
    add(origin, entry) {
      let set = byOrigin.get(origin);
      if (set === undefined) {
        set = new Set();
        byOrigin.set(origin, set);
      }
      set.add(entry);
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        const current = byOrigin.get(origin);
        current?.delete(entry);
        if (current?.size === 0) byOrigin.delete(origin);
        notify(origin);
      };
    },
    promote(origin, entry) {
      entry.kind = 'long';
      notify(origin);
      if (draining.has(origin)) entry.close();
    },
    startDrain(origin) {
      draining.set(origin, (draining.get(origin) ?? 0) + 1);
    },
    endDrain(origin) {
      const n = (draining.get(origin) ?? 1) - 1;
      if (n <= 0) draining.delete(origin);
      else draining.set(origin, n);
    },
    count(origin) {
      const set = byOrigin.get(origin);
      let longLived = 0;
      for (const entry of set ?? []) if (entry.kind === 'long') longLived++;
      return { http: (set?.size ?? 0) - longLived, longLived };
    },
    entries(origin) {
      return [...(byOrigin.get(origin) ?? [])];
    },
    waitForHttp(origin, timeoutMs) {
      if (httpCount(origin) === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        let set = waiters.get(origin);
        if (set === undefined) {
          set = new Set();
          waiters.set(origin, set);
        }
        const done = (finished: boolean) => {
          clearTimeout(timer);
          set.delete(wake);
          if (set.size === 0) waiters.delete(origin);
          resolve(finished);
        };
        const wake = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        set.add(wake);
      });
    },
    all() {
      const out: Tracked[] = [];
      for (const set of byOrigin.values()) out.push(...set);
      return out;
    },
    origins() {
      return [...byOrigin.keys()];
    },
  };
}
