// Many "the folder changed" signals in a burst (an upload of 500 files, a watch event per file) become one
// reload: the call runs once things have been quiet for `delayMs`, and at least every `maxWaitMs`.
import { useEffect, useMemo, useRef } from 'react';

export interface Coalescer {
  schedule(): void;
  cancel(): void;
}

/** The timing, apart from React so it can be tested with fake timers. */
export function createCoalescer(
  run: () => void,
  delayMs: number,
  maxWaitMs: number,
  now = Date.now,
): Coalescer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let first: number | undefined;
  const fire = () => {
    timer = undefined;
    first = undefined;
    run();
  };
  return {
    schedule() {
      const at = now();
      first ??= at;
      clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(delayMs, first + maxWaitMs - at)));
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      first = undefined;
    },
  };
}

export function useCoalesced(run: () => void, delayMs = 300, maxWaitMs = 2000): () => void {
  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });
  const coalescer = useMemo(
    () => createCoalescer(() => runRef.current(), delayMs, maxWaitMs),
    [delayMs, maxWaitMs],
  );
  useEffect(() => coalescer.cancel, [coalescer]);
  return coalescer.schedule;
}
