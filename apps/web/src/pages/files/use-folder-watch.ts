// Live refresh of the folder on screen from the agent's `?watch` stream. EventSource cannot send a header,
// so the credential goes in the query; the agent ends the stream when the credential expires, and this
// opens it again with the current one (renewed if the agent refused it), reloading what was missed.
import { useEffect, useRef } from 'react';
import { backoffDelay } from '../../api/backoff';
import type { AccessKeeper } from './access-keeper';
import { linkFor } from './agent-client';
import type { AgentAccess } from './files-types';

export function useFolderWatch(
  keeper: AccessKeeper<AgentAccess>,
  path: string,
  onChange: () => void,
  enabled = true,
): void {
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let attempt = 0;
    let stale: AgentAccess | undefined;

    const connect = async () => {
      let access: AgentAccess;
      try {
        access = stale ? await keeper.renew(stale) : await keeper.get();
      } catch {
        // The control plane is away: try again later, like a dropped stream.
        retry();
        return;
      }
      if (stopped) return;
      let opened = false;
      source = new EventSource(linkFor(access, path, 'watch'));
      source.addEventListener('changed', () => onChangeRef.current());
      source.onopen = () => {
        opened = true;
        stale = undefined;
        // Changes while the stream was down were not seen.
        if (attempt > 0) onChangeRef.current();
        attempt = 0;
      };
      source.onerror = () => {
        source?.close();
        // Refused before it opened: the credential may have been revoked; renew on the next try.
        if (!opened) stale = access;
        retry();
      };
    };
    const retry = () => {
      if (stopped) return;
      timer = setTimeout(() => void connect(), attempt === 0 ? 200 : backoffDelay(attempt - 1));
      attempt += 1;
    };
    void connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [keeper, path, enabled]);
}
