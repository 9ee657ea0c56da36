// Many "the folder changed" signals in a burst (an upload of 500 files, a watch event per file) become one
// reload: the call runs once things have been quiet for `delayMs`, and at least every `maxWaitMs`.
import { useEffect, useMemo, useRef } from 'react';

export function useCoalesced(run: () => void, delayMs = 300, maxWaitMs = 2000): () => void {
  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });
  const scheduler = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first: number | undefined;
    const fire = () => {
      timer = undefined;
      first = undefined;
      runRef.current();
    };
    return {
      schedule: () => {
        const now = Date.now();
        first ??= now;
        clearTimeout(timer);
        timer = setTimeout(fire, Math.max(0, Math.min(delayMs, first + maxWaitMs - now)));
      },
      cancel: () => clearTimeout(timer),
    };
  }, [delayMs, maxWaitMs]);
  useEffect(() => scheduler.cancel, [scheduler]);
  return scheduler.schedule;
}
