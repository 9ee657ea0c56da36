// One export's connection from this page to its agent: the credential keeper (asking the control plane or,
// on a link's page, the share), the agent client over it and the upload queue, made once per `issue`.
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { type AccessKeeper, createAccessKeeper } from './access-keeper';
import { type AgentClient, createAgentClient } from './agent-client';
import type { AgentAccess } from './files-types';
import { xhrSend } from './send';
import { createUploadQueue, type UploadQueue, type UploadSnapshot } from './upload-queue';

export interface AgentSession<T extends AgentAccess> {
  keeper: AccessKeeper<T>;
  client: AgentClient;
  uploads: UploadQueue;
}

/** `issue` must be stable for one export: a new function makes a new session (and a new upload queue). */
export function useAgentSession<T extends AgentAccess>(
  issue: () => Promise<T>,
  onUploaded: () => void,
): AgentSession<T> {
  // Read through a ref so a new closure on every render does not start the session over.
  const onUploadedRef = useRef(onUploaded);
  useEffect(() => {
    onUploadedRef.current = onUploaded;
  });
  const session = useMemo(() => {
    const keeper = createAccessKeeper<T>({ issue });
    const client = createAgentClient({ access: keeper, send: xhrSend });
    const uploads = createUploadQueue({ client, onUploaded: () => onUploadedRef.current() });
    return { keeper, client, uploads };
  }, [issue]);
  useEffect(() => () => session.keeper.clear(), [session]);
  return session;
}

export function useUploads(queue: UploadQueue): UploadSnapshot {
  return useSyncExternalStore(queue.subscribe, queue.snapshot);
}
