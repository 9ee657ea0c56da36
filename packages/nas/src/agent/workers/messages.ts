// The messages between the agent process (the cluster primary) and its WebDAV workers, and their checks: each
// side validates what it receives, as at any other edge.

import type { AgentExport } from '../export-specs.js';
import type { GateStateWire } from '../gate-state.js';

/** Primary → worker. `gate` carries verification keys: it travels only over the cluster's private IPC pipe. */
export type ToWorker =
  | { type: 'gate'; seq: number; state: GateStateWire }
  | { type: 'exports'; seq: number; exports: AgentExport[] }
  | { type: 'stop' };

/** Worker → primary. */
export type FromWorker =
  | { type: 'hello' }
  | { type: 'listening'; address: string; family: string; port: number }
  | { type: 'listen-failed'; code: string; message: string }
  | { type: 'applied'; seq: number }
  | { type: 'unknown-key'; keyId: number }
  | { type: 'log'; line: string };

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function isKeys(value: unknown): value is GateStateWire['keys'] {
  if (value === null) return true;
  if (!isObject(value) || typeof value.nodeId !== 'string' || !isCount(value.maxTtlSeconds)) return false;
  return (
    Array.isArray(value.keys) &&
    value.keys.every(
      (entry: unknown) =>
        isObject(entry) &&
        isCount(entry.id) &&
        typeof entry.key === 'string' &&
        (entry.notAfter === null || isCount(entry.notAfter)),
    )
  );
}

function isGateState(value: unknown): value is GateStateWire {
  return (
    isObject(value) &&
    isKeys(value.keys) &&
    Array.isArray(value.exportIds) &&
    value.exportIds.every((pair: unknown) => isStringArray(pair) && pair.length === 2) &&
    isStringArray(value.revoked) &&
    (value.allowedOrigins === undefined || isStringArray(value.allowedOrigins))
  );
}

/** Exports as the primary sends them (worker-config.ts checks the same fields at start). */
export function isExportList(value: unknown): value is AgentExport[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item: unknown) =>
        isObject(item) &&
        typeof item.root === 'string' &&
        typeof item.label === 'string' &&
        typeof item.mountPath === 'string' &&
        (item.managedId === undefined || typeof item.managedId === 'string'),
    )
  );
}

/** The message if it is one the primary sends, else undefined. */
export function parseToWorker(message: unknown): ToWorker | undefined {
  if (!isObject(message)) return undefined;
  if (message.type === 'stop') return { type: 'stop' };
  if (message.type === 'gate' && isCount(message.seq) && isGateState(message.state))
    return { type: 'gate', seq: message.seq, state: message.state };
  if (message.type === 'exports' && isCount(message.seq) && isExportList(message.exports))
    return { type: 'exports', seq: message.seq, exports: message.exports };
  return undefined;
}

/** The message if it is one a worker sends, else undefined. */
export function parseFromWorker(message: unknown): FromWorker | undefined {
  if (!isObject(message)) return undefined;
  switch (message.type) {
    case 'hello':
      return { type: 'hello' };
    case 'listening':
      return isCount(message.port) &&
        typeof message.address === 'string' &&
        typeof message.family === 'string'
        ? { type: 'listening', address: message.address, family: message.family, port: message.port }
        : undefined;
    case 'listen-failed':
      return typeof message.code === 'string' && typeof message.message === 'string'
        ? { type: 'listen-failed', code: message.code, message: message.message }
        : undefined;
    case 'applied':
      return isCount(message.seq) ? { type: 'applied', seq: message.seq } : undefined;
    case 'unknown-key':
      return isCount(message.keyId) ? { type: 'unknown-key', keyId: message.keyId } : undefined;
    case 'log':
      return typeof message.line === 'string' ? { type: 'log', line: message.line } : undefined;
    default:
      return undefined;
  }
}
