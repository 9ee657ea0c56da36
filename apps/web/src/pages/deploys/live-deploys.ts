// The Deploys page's live updates: `deploy.changed` on `deploy.deploys` (data: a deploy record) checked and
// handed to the stage it belongs to, and the log topics of deploys and releases.
import type { DeployRecord, DeployStatus } from './api/deploy-types';

export const DEPLOYS_TOPIC = 'deploy.deploys';
export const DEPLOY_EVENT_TYPES = ['deploy.changed'] as const;
export const LOG_EVENT_TYPES = ['deploy.log', 'runtime.log'] as const;
export const deployLogTopic = (deployId: string) => `deploy.logs.${deployId}`;
export const runtimeLogTopic = (releaseId: string) => `deploy.runtime.${releaseId}`;

const statuses: readonly string[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'rolled_back',
] satisfies DeployStatus[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** A `deploy.changed` payload, or undefined when it is not the shape the server sends. */
export function parseDeployChanged(data: unknown): DeployRecord | undefined {
  if (!isRecord(data)) return undefined;
  const { id, stageId, seq, status, steps } = data;
  if (typeof id !== 'string' || typeof stageId !== 'string' || typeof seq !== 'number') return undefined;
  if (typeof status !== 'string' || !statuses.includes(status) || !Array.isArray(steps)) return undefined;
  // cast: the fields the page keys on are checked above; the rest is the server's own record, shown as text
  return data as unknown as DeployRecord;
}

/** What a stage panel hears: its own deploy records, and "reload everything" after the stream was away. */
export interface DeployFeedListener {
  onRecord(record: DeployRecord): void;
  onResync(): void;
}

/** Stage panels listen for their own stage's deploy records; the page holds the one event stream. */
export interface DeployFeed {
  publish(record: DeployRecord): void;
  /** Events were lost while the stream was away: every panel reloads. */
  resync(): void;
  subscribe(stageId: string, listener: DeployFeedListener): () => void;
}

export function createDeployFeed(): DeployFeed {
  const listeners = new Map<string, Set<DeployFeedListener>>();
  return {
    publish(record) {
      for (const listener of listeners.get(record.stageId) ?? []) listener.onRecord(record);
    },
    resync() {
      for (const set of listeners.values()) for (const listener of set) listener.onResync();
    },
    subscribe(stageId, listener) {
      const set = listeners.get(stageId) ?? new Set();
      set.add(listener);
      listeners.set(stageId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(stageId);
      };
    },
  };
}

/**
 * Of two copies of one deploy record (a loaded list and an event may cross), the one further along: a
 * finished status over a live one, then more steps, then a step that ended over one still running.
 */
export function furtherAlong(a: DeployRecord, b: DeployRecord): DeployRecord {
  return progress(b) > progress(a) ? b : a;
}

function progress(record: DeployRecord): number {
  const phase = record.status === 'queued' ? 0 : record.status === 'running' ? 1 : 2;
  const last = record.steps.at(-1);
  const lastEnded = last !== undefined && last.status !== 'running' ? 1 : 0;
  return phase * 10_000 + record.steps.length * 2 + lastEnded + (record.cancelRequested ? 1 : 0) * 0.5;
}

/** The records of `lists` by id, each copy the furthest along, newest first. */
export function mergeDeploys(...lists: readonly (readonly DeployRecord[])[]): DeployRecord[] {
  const byId = new Map<string, DeployRecord>();
  for (const list of lists)
    for (const record of list) {
      const known = byId.get(record.id);
      byId.set(record.id, known ? furtherAlong(known, record) : record);
    }
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}
