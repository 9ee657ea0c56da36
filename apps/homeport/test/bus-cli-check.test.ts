// The verdict of `homeport bus check --mode loop` on made-up runs: which losses fail the check and which are
// excused (sent during an outage, or in the interval before it was seen). The runs against real servers are
// in bus-cli-cluster.test.ts.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LinkState, ranges, verdict } from '../src/cli/bus-check-loop.js';

const plan = { durationMs: 10_000, intervalMs: 1000 };
/** Ten counters sent one second apart from t = 0. */
const sentAt = Array.from({ length: 10 }, (_, counter) => counter * 1000);
const link = (outages: LinkState['outages'] = []): LinkState => ({
  up: outages.every((outage) => outage.to !== undefined),
  server: '127.0.0.1:4222',
  outages,
  failovers: outages.length,
});
const all = (except: number[] = []) => new Set(sentAt.map((_, i) => i).filter((i) => !except.includes(i)));

let printed: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  printed = [];
});
function run(received: Set<number>, state: LinkState): void {
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  verdict(sentAt, received, state, plan, new Map([['127.0.0.1:4222', 10]]));
}

describe('the loop check verdict', () => {
  it('passes when every counter came back', () => {
    run(all(), link());
    expect(printed.at(-1)).toBe(
      'LOOP OK: kept receiving across the run (received=10, 0 lost during outages)',
    );
  });

  it('excuses counters sent during an outage or in the interval before it was seen', () => {
    // Down from 4.5 s to 6.2 s: counter 4 (sent at 4 s) was in flight, 5 and 6 were sent while down.
    run(all([4, 5, 6]), link([{ from: 4500, to: 6200 }]));
    expect(printed).toContain('  MISSING during an outage: check-loop-4..6');
    expect(printed.at(-1)).toMatch(/^LOOP OK: .*3 lost during outages\)$/);
  });

  it('fails on a counter lost while connected, and names it', () => {
    expect(() => run(all([2, 8]), link([{ from: 4500, to: 6200 }]))).toThrow(
      'LOOP FAIL: 2/10 messages lost while connected',
    );
    expect(printed).toContain('  MISSING while connected: check-loop-2, 8');
  });

  it('fails when the connection never came back, even if everything sent before was received', () => {
    expect(() => run(all([7, 8, 9]), link([{ from: 6500, to: undefined }]))).toThrow(
      /^LOOP FAIL: the NATS connection was lost at t=6\.5s and never came back; 3\/10 messages missing$/,
    );
  });

  it('fails when nothing came back', () => {
    expect(() => run(new Set(), link())).toThrow('LOOP FAIL: received 0 messages');
  });
});

describe('counter ranges', () => {
  it('joins runs and cuts a long list', () => {
    expect(ranges([1, 2, 3, 5, 7, 8])).toBe('1..3, 5, 7..8');
    expect(ranges([1, 3, 5, 7], 2)).toBe('1, 3, …');
    expect(ranges([])).toBe('');
  });
});
