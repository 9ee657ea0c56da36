// Live log lines of deploys and releases. One event stream carries every open log's topic; an event only
// says "new lines": the lines themselves are read from the API after the last seq shown, so none is shown
// twice or skipped (event payloads carry no seq, and a stream reopened for a new topic misses events).
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useEvents } from '../../api/events';
import type { LogLine } from './api/deploy-types';
import { useDeployClient } from './api/use-deploy-client';
import { deployLogTopic, LOG_EVENT_TYPES, runtimeLogTopic } from './live-deploys';

/** Lines kept on screen per log; older ones are dropped (the API keeps more). */
const MAX_SHOWN_LINES = 2000;

interface LogHub {
  /** Calls `listener` whenever `topic` has new lines; returns the unsubscribe. */
  watch(topic: string, listener: () => void): () => void;
}

const LogHubContext = createContext<LogHub | null>(null);

export function LogHubProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Map<string, Set<() => void>>());
  const [topics, setTopics] = useState<readonly string[]>([]);
  const hub = useMemo<LogHub>(
    () => ({
      watch(topic, listener) {
        const set = listeners.current.get(topic) ?? new Set();
        set.add(listener);
        listeners.current.set(topic, set);
        setTopics([...listeners.current.keys()].sort());
        return () => {
          set.delete(listener);
          if (set.size === 0) listeners.current.delete(topic);
          setTopics([...listeners.current.keys()].sort());
        };
      },
    }),
    [],
  );
  const pokeAll = useCallback(() => {
    for (const set of listeners.current.values()) for (const listener of set) listener();
  }, []);
  useEvents(
    topics,
    (event) => {
      for (const listener of listeners.current.get(event.topic) ?? []) listener();
    },
    { types: LOG_EVENT_TYPES, onReconnect: pokeAll },
  );
  return <LogHubContext.Provider value={hub}>{children}</LogHubContext.Provider>;
}

export type LogSource = { kind: 'deploy'; deployId: string } | { kind: 'runtime'; releaseId: string };

export interface LiveLog {
  lines: readonly LogLine[];
  error: unknown;
  loaded: boolean;
}

/**
 * The log's lines, read once and then again whenever its topic says there are more (when `follow`), or
 * when `refreshKey` changes (e.g. the deploy record moved on: its last lines may have come during a gap).
 */
export function useLiveLog(source: LogSource, follow: boolean, refreshKey = ''): LiveLog {
  const client = useDeployClient();
  const hub = useContext(LogHubContext);
  const id = source.kind === 'deploy' ? source.deployId : source.releaseId;
  const kind = source.kind;
  const [state, setState] = useState<LiveLog>({ lines: [], error: undefined, loaded: false });

  // Pokes go to the current reader; none between readers.
  const readRef = useRef<() => void>(() => {});

  // One reader per log: reads after the last seq until nothing new; a poke during a read runs one more.
  // Made in the effect (not memoised) so a remount (React's strict mode) starts a live reader again.
  useEffect(() => {
    let lastSeq = 0;
    let reading = false;
    let again = false;
    let stopped = false;
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const lines =
            kind === 'deploy' ? await client.deployLogs(id, lastSeq) : await client.releaseLogs(id, lastSeq);
          if (stopped) return;
          const last = lines.at(-1);
          if (last) lastSeq = last.seq;
          setState((previous) => ({
            lines:
              lines.length === 0 ? previous.lines : [...previous.lines, ...lines].slice(-MAX_SHOWN_LINES),
            error: undefined,
            loaded: true,
          }));
          // A full page means more may be waiting.
          if (lines.length >= 1000) again = true;
        } while (again && !stopped);
      } catch (error) {
        if (!stopped) setState((previous) => ({ ...previous, error, loaded: true }));
      } finally {
        reading = false;
      }
    };
    setState({ lines: [], error: undefined, loaded: false });
    readRef.current = () => void read();
    void read();
    return () => {
      stopped = true;
      readRef.current = () => {};
    };
  }, [client, kind, id]);

  const lastRefreshKey = useRef(refreshKey);
  useEffect(() => {
    if (lastRefreshKey.current === refreshKey) return;
    lastRefreshKey.current = refreshKey;
    readRef.current();
  }, [refreshKey]);
  useEffect(() => {
    if (!follow || !hub) return;
    return hub.watch(kind === 'deploy' ? deployLogTopic(id) : runtimeLogTopic(id), () => readRef.current());
  }, [follow, hub, kind, id]);
  return state;
}
