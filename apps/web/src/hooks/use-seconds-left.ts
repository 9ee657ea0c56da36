// A countdown in whole seconds to a moment, re-rendering once a second until it reaches zero.
import { useEffect, useState } from 'react';

/** Seconds until `until` (ms since epoch), rounded up; undefined when there is no deadline. */
export function useSecondsLeft(until: number | undefined): number | undefined {
  const compute = () =>
    until === undefined ? undefined : Math.max(0, Math.ceil((until - Date.now()) / 1000));
  const [left, setLeft] = useState(compute);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `compute` only reads `until`
  useEffect(() => {
    setLeft(compute());
    if (until === undefined) return;
    const timer = setInterval(() => {
      const next = compute();
      setLeft(next);
      if (next === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [until]);

  return left;
}
