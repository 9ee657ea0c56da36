// What both deploy stores share: the errors they raise (same code, same sentence), host names as compared,
// log stream names and line bounds, and the listing order of deploys.

import type { DeployRecord, LogLine } from '../model.js';
import {
  type DeployListQuery,
  DeployStoreError,
  type DeployStoreOptions,
  type LogStreamKey,
} from './repositories.js';

export const DEFAULT_DEPLOY_LOG_LINES = 5_000;
export const DEFAULT_RUNTIME_LOG_LINES = 10_000;

/**
 * Longest log line kept, in UTF-16 units; longer ones are cut (and marked). A container can print a
 * megabyte without a newline; the store keeps pages of lines small whatever the app prints.
 */
export const MAX_LOG_LINE = 16_384;

/** Host names compare lower-cased (DNS is case-insensitive); null stays null. */
export const hostKey = (host: string | null): string | null => (host === null ? null : host.toLowerCase());

export const projectExists = (name: string) =>
  new DeployStoreError('deploy_project_exists', `A project named "${name}" exists already`);
export const projectNotEmpty = (id: string) =>
  new DeployStoreError('deploy_project_not_empty', `Project ${id} still has stages: remove them first`);
export const stageExists = (name: string) =>
  new DeployStoreError('deploy_stage_exists', `The project has a stage named "${name}" already`);
export const hostTaken = (host: string) =>
  new DeployStoreError('deploy_host_taken', `Another stage routes ${host}`);
export const revisionConflict = (id: string, expected: number, actual: number) =>
  new DeployStoreError(
    'deploy_revision_conflict',
    `Stage ${id} is at configuration revision ${actual}, not ${expected}: read it again and redo the change`,
  );
export const stageBusy = (id: string) =>
  new DeployStoreError('deploy_stage_busy', `Stage ${id} has a queued or running deploy`);
export const notFound = (what: string, id: string) =>
  new DeployStoreError('deploy_store_not_found', `No ${what} ${id}`);

/** One text naming a log stream (the SQLite column, the KV key token's source). */
export const streamName = (key: LogStreamKey): string =>
  key.kind === 'deploy' ? `deploy:${key.id}` : `runtime:${key.releaseId}`;

export interface LogBounds {
  deploy: number;
  runtime: number;
}

export function logBounds(options: DeployStoreOptions): LogBounds {
  const bounds = {
    deploy: options.maxDeployLogLines ?? DEFAULT_DEPLOY_LOG_LINES,
    runtime: options.maxRuntimeLogLines ?? DEFAULT_RUNTIME_LOG_LINES,
  };
  for (const [name, value] of Object.entries(bounds))
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`deploy store: ${name} log lines must be a positive integer`);
  return bounds;
}

export const maxLinesOf = (bounds: LogBounds, key: LogStreamKey): number =>
  key.kind === 'deploy' ? bounds.deploy : bounds.runtime;

/** A line as stored: cut at MAX_LOG_LINE. */
export function storedLine(line: Omit<LogLine, 'seq'>, seq: number): LogLine {
  const text = line.line.length > MAX_LOG_LINE ? `${line.line.slice(0, MAX_LOG_LINE - 1)}…` : line.line;
  return { seq, ts: line.ts, stream: line.stream, line: text };
}

/** Listing arguments every store refuses alike (a caller's bug, not a user's input). */
export function checkListQuery(query: DeployListQuery): void {
  if (query.beforeSeq !== undefined && query.stageId === undefined)
    throw new Error('deploy store: beforeSeq pages one stage’s history and needs stageId');
  if (!Number.isInteger(query.limit) || query.limit < 0)
    throw new Error('deploy store: limit must be an integer ≥ 0');
}

export function checkPage(afterSeq: number, limit: number): void {
  if (!Number.isInteger(afterSeq) || !Number.isInteger(limit) || limit < 0)
    throw new Error('deploy store: afterSeq and limit must be integers (limit ≥ 0)');
}

/** Newest first: createdAt, then seq, then id (SQLite's order of text, as both stores sort). */
export function newestFirst(compareText: (a: string, b: string) => number) {
  return (a: DeployRecord, b: DeployRecord): number =>
    compareText(b.createdAt, a.createdAt) || b.seq - a.seq || compareText(b.id, a.id);
}

export const AUTOMATIC_TRIGGERS: readonly DeployRecord['trigger'][] = ['webhook', 'poller'];
