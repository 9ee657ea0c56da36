// Whether this server runs the bus, for the navbar's Rooms entry: `/health` carries a `bus` field exactly
// when the bus module runs (each running module adds its own fields there).
import { useEffect, useState } from 'react';

/** true or false once `/health` answered; undefined before, or when it could not be read (show the entry). */
export function useBusAvailable(): boolean | undefined {
  const [available, setAvailable] = useState<boolean>();
  useEffect(() => {
    const controller = new AbortController();
    fetch('/health', { cache: 'no-store', signal: controller.signal })
      .then((response) => (response.ok ? response.json() : undefined))
      .then(
        (body: unknown) => {
          if (typeof body === 'object' && body !== null && 'status' in body) setAvailable('bus' in body);
        },
        (error: unknown) => {
          // An unreachable server is the connection monitor's to report; the entry stays until we know.
          if (!controller.signal.aborted) console.error('Could not read /health for the bus', error);
        },
      );
    return () => controller.abort();
  }, []);
  return available;
}
