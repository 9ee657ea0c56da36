// The reconnect schedule of the live event stream: 1 s doubling to a 30 s cap, jittered downwards.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/api/backoff';

describe('backoffDelay', () => {
  it('waits about a second before the first retry', () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(1000);
    expect(backoffDelay(0, {}, () => 1)).toBe(700);
  });

  it('doubles with each failed attempt', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, {}, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
  });

  it('never waits longer than 30 s, even after a very long outage', () => {
    for (const attempt of [5, 6, 20, 1000, Number.MAX_SAFE_INTEGER]) {
      const delay = backoffDelay(attempt, {}, Math.random);
      expect(delay).toBeLessThanOrEqual(30_000);
      expect(delay).toBeGreaterThanOrEqual(21_000);
    }
  });

  it('spreads tabs apart so they do not all reconnect at the same instant', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(8)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
