// What bench/scale says to its SSE client process (sse-child.ts) over the IPC channel: each request carries
// an id, and the child answers it with the same id.

export type ChildRequest =
  /** Opens `count` event streams with the token, `perAddress` of them per loopback source address. */
  | { kind: 'open'; url: string; token: string; count: number; perAddress: number }
  /** How many streams have received the `user.updated` event whose user has this `updatedAt`. */
  | { kind: 'seen'; key: string }
  /** Latencies of the measured events: `sends` maps each event's `updatedAt` to its trigger's send time. */
  | { kind: 'report'; sends: Record<string, number> };

export interface DeliverySummary {
  streams: number;
  expected: number;
  delivered: number;
  /** From the trigger request's send time to the event parsed by a client (ms). */
  p50: number;
  p99: number;
  max: number;
  /**
   * Per event, the time until its last client parsed it; the median over the events. What one event's
   * fan-out costs, steadier than the p99, which is the worst 1% of events (on a shared machine a scheduler
   * or GC pause as often as not).
   */
  lastClientP50: number;
  /** From the event's own `at` (the server's publish time, whole milliseconds) to parsed (ms). */
  p99FromAt: number;
  /** Streams the server ended while they should have been open. */
  ended: number;
}

export type ChildAnswer =
  | { id: number; ok: true; opened?: string; seen?: number; summary?: DeliverySummary }
  | { id: number; ok: false; error: string };

export type ToChild = ChildRequest & { id: number };
