// The agent's WebDAV front as node:cluster workers (HOMEPORT_DAV_WORKERS > 1): the agent process stays the
// cluster primary and keeps the control-plane link; each worker serves the shared port with its own event
// loop. The primary hands out connections round-robin, sends every worker the gate's state and waits for each
// to confirm it, restarts a worker that dies (with backoff), and stops them all with itself.

import cluster, { type Worker } from 'node:cluster';
import {
  findWorkerEntry,
  type Logger,
  WORKER_STABLE_AFTER_MS,
  type WorkerEntry,
  workerEnvironment,
  workerRestartDelayMs,
  writeWorkerLogLine,
} from '@homeport/core';
import type { DavFront, DavFrontFactory, DavFrontHooks } from '../dav-front.js';
import type { AgentExport } from '../export-specs.js';
import { type GateStateWire, gateStateToWire } from '../gate-state.js';
import { parseFromWorker, type ToWorker } from './messages.js';
import { WORKER_CONFIG_ENV, type WorkerConfig } from './worker-config.js';

export interface DavWorkerPoolOptions {
  count: number;
  exports: readonly AgentExport[];
  stateDir: string;
  log: Logger;
  /** How long a worker has to confirm a gate change; one that does not is killed (and replaced). */
  ackTimeoutMs?: number;
  /** How long workers have to finish requests in flight at stop before they are killed. */
  stopTimeoutMs?: number;
  /** The worker's entry (default: dav-worker.js next to this module, or dav-worker.ts run with tsx). */
  entry?: WorkerEntry;
  clock?: () => number;
}

/** Worker processes still alive, for tests and the primary's own bookkeeping. */
export interface DavWorkerFront extends DavFront {
  pids(): number[];
}

const ACK_TIMEOUT_MS = 5000;
/** Under the lifecycle's default 10 s shutdown bound, so the primary still exits cleanly after the kill. */
const STOP_TIMEOUT_MS = 8000;

/** The WebDAV worker's entry: dav-worker.ts beside this module (through tsx), or dist/dav-worker.js. */
export function defaultWorkerEntry(): WorkerEntry {
  return findWorkerEntry(import.meta.url, 'dav-worker');
}

/** The worker's environment: without Homeport's variables; its configuration in WORKER_CONFIG_ENV (nothing secret). */
function workerEnv(config: WorkerConfig): Record<string, string | undefined> {
  return workerEnvironment({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  startedAt: number;
  /** Deaths in a row without WORKER_STABLE_AFTER_MS of life in between. */
  crashes: number;
  greeted: boolean;
  acked: number;
  listening: boolean;
  /** Resolved when the worker acknowledges `seq`, or exits. */
  waiters: { seq: number; resolve: () => void }[];
  restartTimer: NodeJS.Timeout | undefined;
}

interface Listened {
  address: string;
  family: string;
  port: number;
}

export function davWorkerPool(options: DavWorkerPoolOptions): DavFrontFactory {
  if (!Number.isSafeInteger(options.count) || options.count < 1)
    throw new RangeError(`the WebDAV worker count must be a whole number >= 1, got ${options.count}`);
  return (hooks) => createPool(options, hooks);
}

function createPool(options: DavWorkerPoolOptions, hooks: DavFrontHooks): DavWorkerFront {
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const entry = options.entry ?? defaultWorkerEntry();
  const ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
  const slots: Slot[] = Array.from({ length: options.count }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    crashes: 0,
    greeted: false,
    acked: -1,
    listening: false,
    waiters: [],
    restartTimer: undefined,
  }));
  let current: GateStateWire = { keys: null, exportIds: [], revoked: [] };
  /** The exports workers serve: a worker forked later starts with them. */
  let exports: AgentExport[] = [...options.exports];
  let seq = 0;
  let stopping = false;
  let requested: { host: string; port: number } | undefined;
  let listened: Listened | undefined;
  /** Set while listen() waits for the first workers: a worker failing then fails the start. */
  let starting: { onListening(slot: Slot, at: Listened): void; fail(error: Error): void } | undefined;
  const exited = new Map<Worker, Promise<void>>();

  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };

  const settle = (slot: Slot, all: boolean): void => {
    slot.waiters = slot.waiters.filter((waiter) => {
      if (!all && waiter.seq > slot.acked) return true;
      waiter.resolve();
      return false;
    });
  };

  const onMessage = (slot: Slot, worker: Worker, raw: unknown): void => {
    const message = parseFromWorker(raw);
    if (message === undefined) {
      log.error({ worker: slot.index }, 'ignored a malformed message from a webdav worker');
      return;
    }
    switch (message.type) {
      case 'hello':
        slot.greeted = true;
        // Forked with an older set than the others serve now: it takes the current one before listening
        // (which the gate message starts).
        send(worker, { type: 'exports', seq, exports });
        send(worker, { type: 'gate', seq, state: current });
        return;
      case 'applied':
        slot.acked = Math.max(slot.acked, message.seq);
        settle(slot, false);
        return;
      case 'listening':
        slot.listening = true;
        log.info({ worker: slot.index, workerPid: worker.process.pid }, 'webdav worker listening');
        starting?.onListening(slot, message);
        return;
      case 'listen-failed': {
        const error = new Error(message.message) as NodeJS.ErrnoException;
        error.code = message.code;
        if (starting) starting.fail(error);
        else log.error({ worker: slot.index, code: message.code }, 'a webdav worker could not listen');
        return;
      }
      case 'unknown-key':
        hooks.onUnknownKey(message.keyId);
        return;
      case 'log':
        writeWorkerLogLine(log, message.line, 'webdav worker');
        return;
    }
  };

  const fork = (slot: Slot): void => {
    if (stopping || requested === undefined) return;
    // After the first start the port is known; a worker forked while none listens asks for that port (a
    // requested port 0 would pick another one), otherwise for the same key as the others, to share their handle.
    const anyListening = slots.some((other) => other.listening);
    const port = requested.port === 0 && !anyListening && listened ? listened.port : requested.port;
    const config: WorkerConfig = {
      index: slot.index,
      exports,
      stateDir: options.stateDir,
      host: requested.host,
      port,
      logLevel: log.level,
    };
    cluster.setupPrimary({ exec: entry.exec, execArgv: entry.execArgv, args: [] });
    const worker = cluster.fork(workerEnv(config));
    Object.assign(slot, { worker, startedAt: clock(), greeted: false, acked: -1, listening: false });
    exited.set(
      worker,
      new Promise<void>((resolve) => {
        worker.once('exit', (code: number | null, signal: string | null) => {
          exited.delete(worker);
          onExit(slot, worker, code, signal);
          resolve();
        });
      }),
    );
    worker.on('message', (raw: unknown) => onMessage(slot, worker, raw));
    worker.on('error', (error: Error) =>
      log.error({ worker: slot.index, err: error.message }, 'webdav worker IPC error'),
    );
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.listening = false;
    settle(slot, true);
    if (stopping) return;
    if (starting) {
      starting.fail(new Error(`webdav worker ${slot.index} exited while starting (code ${code}, ${signal})`));
      return;
    }
    if (clock() - slot.startedAt >= WORKER_STABLE_AFTER_MS) slot.crashes = 0;
    slot.crashes += 1;
    const delay = workerRestartDelayMs(slot.crashes);
    log.error(
      { worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay },
      'webdav worker exited; restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      fork(slot);
    }, delay);
  };

  /** Resolves once the slot's worker confirmed `target` or is gone; kills it if it does neither in time. */
  const confirmed = (slot: Slot, target: number): Promise<void> => {
    const worker = slot.worker;
    if (worker === undefined || !slot.greeted || slot.acked >= target) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // It might otherwise go on serving credentials that were just revoked.
        log.error(
          { worker: slot.index, workerPid: worker.process.pid, timeoutMs: ackTimeoutMs },
          'a webdav worker did not confirm the new credential state in time; killing it',
        );
        worker.process.kill('SIGKILL');
      }, ackTimeoutMs);
      slot.waiters.push({
        seq: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    starting = undefined;
    for (const slot of slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      if (slot.worker) send(slot.worker, { type: 'stop' });
    }
    const all = Promise.all([...exited.values()]);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), options.stopTimeoutMs ?? STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      log.warn(
        { workers: [...exited.keys()].length },
        'webdav workers still busy at the stop bound; killing them',
      );
      for (const worker of exited.keys()) worker.process.kill('SIGKILL');
      await Promise.all([...exited.values()]);
    }
  };

  return {
    pids: () => slots.flatMap((slot) => (slot.worker?.process.pid ? [slot.worker.process.pid] : [])),

    async listen(port, host) {
      requested = { host, port };
      const result = await new Promise<Listened>((resolve, reject) => {
        const ready = new Set<number>();
        starting = {
          onListening(slot, at) {
            ready.add(slot.index);
            if (ready.size === slots.length) resolve(at);
          },
          fail: reject,
        };
        for (const slot of slots) fork(slot);
      }).catch(async (error: unknown) => {
        await stopAll();
        throw error;
      });
      starting = undefined;
      listened = result;
      log.info({ workers: slots.length, port: result.port }, 'webdav workers started');
      return result;
    },

    async apply(state) {
      current = gateStateToWire(state);
      seq += 1;
      const target = seq;
      for (const slot of slots) {
        if (slot.worker && slot.greeted) send(slot.worker, { type: 'gate', seq: target, state: current });
      }
      await Promise.all(slots.map((slot) => confirmed(slot, target)));
    },

    async setExports(next) {
      exports = [...next];
      seq += 1;
      const target = seq;
      for (const slot of slots) {
        if (slot.worker && slot.greeted) send(slot.worker, { type: 'exports', seq: target, exports });
      }
      await Promise.all(slots.map((slot) => confirmed(slot, target)));
    },

    close: stopAll,
  };
}
