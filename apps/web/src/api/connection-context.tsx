// Hands the page's one ConnectionMonitor to components: the banner reads its state, pages reload through
// useOnReconnect. Without a provider (unit tests of a component) everything reads as online.
import { createContext, type ReactNode, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ConnectionMonitor, ConnectionState } from './connection';

const ConnectionContext = createContext<ConnectionMonitor | null>(null);
const ONLINE: ConnectionState = { status: 'online' };
const noop = () => () => undefined;

export function ConnectionProvider({
  monitor,
  children,
}: {
  monitor: ConnectionMonitor;
  children: ReactNode;
}) {
  return <ConnectionContext value={monitor}>{children}</ConnectionContext>;
}

export function useConnectionMonitor(): ConnectionMonitor | null {
  return useContext(ConnectionContext);
}

/** Whether the server can be reached now; re-renders on change. */
export function useConnection(): ConnectionState {
  const monitor = useContext(ConnectionContext);
  return useSyncExternalStore(monitor ? monitor.subscribe : noop, monitor ? monitor.state : () => ONLINE);
}

/** Runs `callback` each time the server answers again after an outage (the latest callback, no re-subscribe). */
export function useOnReconnect(callback: () => void): void {
  const monitor = useContext(ConnectionContext);
  const ref = useRef(callback);
  useEffect(() => {
    ref.current = callback;
  });
  useEffect(() => monitor?.onReconnect(() => ref.current()), [monitor]);
}
