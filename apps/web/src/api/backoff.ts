// Reconnect delays for the live event stream: exponential, capped, and jittered.

export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 1000 */
  initialMs?: number;
  /** Longest delay, in ms. @default 30000 */
  maxMs?: number;
  /** Share of the delay that is randomised away, 0–1. @default 0.3 */
  jitter?: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): 1 s, 2 s, 4 s … up to 30 s, each
 * shortened by a random part so that every browser tab does not come back at the same instant
 * after a server restart. Never longer than `maxMs`.
 *
 * @example backoffDelay(0) // between 700 and 1000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
) {
  const initialMs = options.initialMs ?? 1000;
  const maxMs = options.maxMs ?? 30_000;
  const jitter = options.jitter ?? 0.3;
  // Cap the exponent too, so a long outage cannot overflow into Infinity.
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - jitter * random()));
}
