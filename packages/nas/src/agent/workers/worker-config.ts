// What a WebDAV worker is started with, in an environment variable set by the primary (nothing secret: the
// keys come later, over IPC).

import type { AgentExport } from '../export-specs.js';

/** Internal: set by the agent process for its workers only, never by a person. */
export const WORKER_CONFIG_ENV = 'HOMEPORT_INTERNAL_DAV_WORKER';

export interface WorkerConfig {
  /** 0 … count-1, stable across restarts of the same slot (log lines name it). */
  index: number;
  exports: AgentExport[];
  stateDir: string;
  host: string;
  port: number;
  logLevel: string;
}

export function parseWorkerConfig(text: string | undefined): WorkerConfig {
  if (text === undefined)
    throw new Error(`${WORKER_CONFIG_ENV} is not set: this entry is started by the agent`);
  // Written by workers/worker-pool.ts; each field is checked below.
  const value = JSON.parse(text) as Partial<WorkerConfig>;
  const exportsOk =
    Array.isArray(value.exports) &&
    value.exports.every(
      (item) =>
        typeof item.root === 'string' && typeof item.label === 'string' && typeof item.mountPath === 'string',
    );
  if (
    !Number.isSafeInteger(value.index) ||
    !exportsOk ||
    typeof value.stateDir !== 'string' ||
    typeof value.host !== 'string' ||
    !Number.isSafeInteger(value.port) ||
    typeof value.logLevel !== 'string'
  )
    throw new Error(`${WORKER_CONFIG_ENV} is malformed`);
  return value as WorkerConfig; // every field checked just above
}
