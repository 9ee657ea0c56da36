// Loads data for a page and tracks loading / error / reload, so every page handles those states alike; a load
// that failed because the server could not be reached runs again once it can.
import { useCallback, useEffect, useState } from 'react';
import { isUnreachable } from '../api/client';
import { useOnReconnect } from '../api/connection-context';

export interface AsyncData<T> {
  /** The last successful answer; kept while a reload runs or after a reload fails. */
  data: T | undefined;
  /** Why the latest load failed; cleared by the next success. */
  error: unknown;
  /** A load is in flight. */
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` on mount and whenever `reload()` is called. `load` receives an AbortSignal that fires on
 * unmount or when a newer load starts, so a slow old answer never overwrites a newer one.
 * `load` should be stable (wrap it in useCallback) or it reruns on every render.
 */
export function useAsyncData<T>(load: (signal: AbortSignal) => Promise<T>): AsyncData<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the reload trigger itself
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setError(reason);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [load, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  // Only what failed: a page whose data arrived keeps it (pages with live data reload on their own,
  // through useEvents' onReconnect).
  useOnReconnect(() => {
    if (isUnreachable(error)) reload();
  });
  return { data, error, loading, reload };
}
