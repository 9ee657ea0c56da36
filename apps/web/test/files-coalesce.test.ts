// A burst of folder changes reloads once after it settles, and a steady stream still reloads every so often.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../src/pages/files/use-coalesced';

describe('coalesced reloads', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once, after the burst has been quiet for the delay', () => {
    let runs = 0;
    const coalescer = createCoalescer(() => runs++, 300, 2000);
    for (let i = 0; i < 50; i += 1) coalescer.schedule();
    vi.advanceTimersByTime(299);
    expect(runs).toBe(0);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(1);
  });

  it('runs at least every maxWait while changes keep coming', () => {
    let runs = 0;
    const coalescer = createCoalescer(() => runs++, 300, 2000);
    for (let elapsed = 0; elapsed < 4000; elapsed += 100) {
      coalescer.schedule();
      vi.advanceTimersByTime(100);
    }
    expect(runs).toBe(2);
  });

  it('cancel drops what was scheduled', () => {
    let runs = 0;
    const coalescer = createCoalescer(() => runs++, 300, 2000);
    coalescer.schedule();
    coalescer.cancel();
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(0);
  });
});
