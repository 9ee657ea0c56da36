// What Homeport's node:cluster worker pools share (the NAS agent's WebDAV workers, the deploy proxy's
// workers): where a worker's entry is, the environment it gets, how its log lines reach the primary's logger,
// and how long a crashed worker waits before it is started again.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../logger.js';

export interface WorkerEntry {
  exec: string;
  execArgv: string[];
}

/**
 * The entry `name` of a worker, found from the pool's own module (`import.meta.url`). From the sources (tests,
 * `node --import tsx`): `<name>.ts` beside that module, loaded through tsx. In the bundle: `dist/<name>.js`
 * (an entry of apps/homeport/build.mjs), beside that code or one folder up when it was split into dist/chunks/.
 *
 * @example
 *   const entry = findWorkerEntry(import.meta.url, 'proxy-worker');
 */
export function findWorkerEntry(poolModuleUrl: string, name: string): WorkerEntry {
  const here = dirname(fileURLToPath(poolModuleUrl));
  if (poolModuleUrl.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { exec: join(here, `${name}.ts`), execArgv: ['--import', tsx] };
  }
  const candidates = [join(here, `${name}.js`), join(here, '..', `${name}.js`)];
  const exec = candidates.find((candidate) => existsSync(candidate));
  if (exec === undefined)
    throw new Error(
      `the worker entry ${name}.js is missing (looked for ${candidates.join(' and ')}); rebuild with npm run build`,
    );
  return { exec, execArgv: process.execArgv };
}

/**
 * A worker's environment: the process's, without Homeport's own variables (secrets among them) — a worker's
 * configuration and keys come from the primary — plus `extra`. Node leaves out variables set to undefined.
 */
export function workerEnvironment(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env))
    if (name.startsWith('HOMEPORT_') || name.startsWith('BETTERNAS_')) env[name] = undefined;
  return { ...env, ...extra };
}

/** A worker's log line (pino JSON from its logger), written by the primary's logger with the worker's fields. */
export function writeWorkerLogLine(log: Logger, line: string, what: string): void {
  let fields: Record<string, unknown>;
  try {
    // A pino line written by the worker's own logger.
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    log.warn({ line: line.slice(0, 200) }, `unreadable log line from a ${what}`);
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...rest } = fields;
  const label = typeof level === 'number' ? log.levels.labels[level] : undefined;
  const write =
    label === 'fatal' || label === 'error' || label === 'warn' || label === 'info' || label === 'debug'
      ? label
      : 'trace';
  log[write](rest, typeof msg === 'string' ? msg : '');
}

/** A worker that ran this long before dying starts a fresh backoff: it was not crash-looping. */
export const WORKER_STABLE_AFTER_MS = 60_000;
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 30_000;

/** The wait before restarting a worker after its `crashes`-th death in a row: 0.25 s doubling to 30 s. */
export function workerRestartDelayMs(crashes: number): number {
  return Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.min(Math.max(crashes, 1) - 1, 10));
}
