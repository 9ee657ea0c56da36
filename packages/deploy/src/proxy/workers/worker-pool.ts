// The built-in proxy as node:cluster workers (HOMEPORT_PROXY_WORKERS > 1): Homeport stays the cluster primary
// and keeps the route table the deployer changes; each worker serves the shared proxy port with its own event
// loop. Every change goes to every worker and resolves once each confirmed it; a drain resolves once each
// drained its part. Crashed workers restart with backoff and get the table before they listen; stop lets
// requests in flight finish, then the workers exit (and they die with the primary: node:cluster workers exit
// when their IPC pipe closes).

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
import type { Registry } from 'prom-client';
import { checkDrainTimeout, checkLimits, checkRoute, routeKey } from '../route-checks.js';
import type {
  DrainResult,
  InFlightCount,
  ProxyLimits,
  ProxyRoute,
  ProxyRouteStatus,
  ReverseProxy,
} from '../types.js';
import { parseUpstream } from '../upstreams.js';
import {
  type FromProxyWorker,
  type MetricsJson,
  type ProxyWorkerConfig,
  parseFromProxyWorker,
  type ToProxyWorker,
} from './messages.js';
import { registerPooledProxyMetrics } from './pool-metrics.js';
import { freePort } from './pool-support.js';

export interface ProxyWorkerPoolOptions {
  count: number;
  log: Logger;
  metrics?: Registry;
  limits: ProxyLimits;
  probeToken?: string;
  trustForwardedFrom?: readonly string[];
  /** How long a worker has to confirm a table change or answer a question; one that does not is killed. */
  ackTimeoutMs?: number;
  /** How long workers have to finish requests in flight at close() before they are killed. */
  stopTimeoutMs?: number;
  /** The worker's entry (default: proxy-worker.js next to this module, or proxy-worker.ts run with tsx). */
  entry?: WorkerEntry;
  clock?: () => number;
}

/** The pool as the module sees it, plus what tests and status need. */
export interface ProxyWorkerPool extends ReverseProxy {
  inFlight(upstream: string): Promise<InFlightCount>;
  /** Each live worker's in-flight count for `upstream`, by worker slot. */
  inFlightByWorker(upstream: string): Promise<{ worker: number; pid: number; count: InFlightCount }[]>;
  pids(): number[];
}

const ACK_TIMEOUT_MS = 5000;
/** Under the lifecycle's default 10 s shutdown bound, so the primary still exits cleanly after the kill. */
const STOP_TIMEOUT_MS = 8000;
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
  /** Questions asked of this worker, by id; resolved with undefined when it exits first. */
  questions: Map<number, (answer: FromProxyWorker | undefined) => void>;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Creates the proxy as `count` worker processes sharing its port. Same contract as createProxy, with
 * route changes resolving once every worker applied them.
 *
 * @example
 *   const proxy = createProxyWorkerPool({ count: 2, log, metrics: registry, limits, probeToken });
 *   await proxy.setRoute('app.example.com', route); // before listen: the workers start with it
 *   await proxy.listen('0.0.0.0', 8480);
 */
export function createProxyWorkerPool(options: ProxyWorkerPoolOptions): ProxyWorkerPool {
  if (!Number.isSafeInteger(options.count) || options.count < 1)
    throw new RangeError(`the proxy worker count must be a whole number >= 1, got ${options.count}`);
  checkLimits(options.limits);
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const entry = options.entry ?? findWorkerEntry(import.meta.url, 'proxy-worker');
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
    questions: new Map(),
    restartTimer: undefined,
  }));
  const table = new Map<string, ProxyRoute>();
  const maintenance = new Map<string, string>();
  let seq = 0;
  let nextQuestion = 0;
  let stopping = false;
  let address: { host: string; port: number } | undefined;
  /** Set while listen() waits for the first workers: a worker failing then fails the start. */
  let starting: { onListening(slot: Slot): void; fail(error: Error): void } | undefined;
  const exited = new Map<Worker, Promise<void>>();

  const send = (worker: Worker, message: ToProxyWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const tableMessage = (): ToProxyWorker => ({
    type: 'table',
    seq,
    routes: [...table],
    maintenance: [...maintenance],
  });

  const settle = (slot: Slot, all: boolean): void => {
    slot.waiters = slot.waiters.filter((waiter) => {
      if (!all && waiter.seq > slot.acked) return true;
      waiter.resolve();
      return false;
    });
    if (all) {
      for (const answer of slot.questions.values()) answer(undefined);
      slot.questions.clear();
    }
  };

  const onMessage = (slot: Slot, worker: Worker, raw: unknown): void => {
    const message = parseFromProxyWorker(raw);
    if (message === undefined) {
      log.error({ proxyWorker: slot.index }, 'ignored a malformed message from a proxy worker');
      return;
    }
    switch (message.type) {
      case 'hello': {
        if (address === undefined) return;
        slot.greeted = true;
        const config: ProxyWorkerConfig = {
          index: slot.index,
          host: address.host,
          port: address.port,
          logLevel: log.level,
          limits: options.limits,
          trustForwardedFrom: [...(options.trustForwardedFrom ?? [])],
          metrics: options.metrics !== undefined,
          ...(options.probeToken === undefined ? {} : { probeToken: options.probeToken }),
        };
        send(worker, { type: 'start', config });
        // The table before anything else: the worker listens only once it has it, so a replaced worker never
        // serves a request with an empty or old table.
        send(worker, tableMessage());
        return;
      }
      case 'applied':
        slot.acked = Math.max(slot.acked, message.seq);
        settle(slot, false);
        return;
      case 'listening':
        slot.listening = true;
        log.info({ proxyWorker: slot.index, workerPid: worker.process.pid }, 'proxy worker listening');
        starting?.onListening(slot);
        return;
      case 'listen-failed': {
        const error = new Error(message.message) as NodeJS.ErrnoException; // given the worker's code below
        error.code = message.code;
        if (starting) starting.fail(error);
        else log.error({ proxyWorker: slot.index, code: message.code }, 'a proxy worker could not listen');
        return;
      }
      case 'drained':
      case 'in-flight':
      case 'metrics': {
        const answer = slot.questions.get(message.id);
        slot.questions.delete(message.id);
        answer?.(message);
        return;
      }
      case 'log':
        writeWorkerLogLine(log, message.line, 'proxy worker');
        return;
    }
  };

  const fork = (slot: Slot): void => {
    if (stopping || address === undefined) return;
    cluster.setupPrimary({ exec: entry.exec, execArgv: entry.execArgv, args: [] });
    // Its configuration and the probe token come over IPC (worker-main.ts), never in its environment.
    const worker = cluster.fork(workerEnvironment());
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
      log.error({ proxyWorker: slot.index, err: error.message }, 'proxy worker IPC error'),
    );
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.listening = false;
    settle(slot, true);
    if (stopping) return;
    if (starting) {
      starting.fail(new Error(`proxy worker ${slot.index} exited while starting (code ${code}, ${signal})`));
      return;
    }
    if (clock() - slot.startedAt >= WORKER_STABLE_AFTER_MS) slot.crashes = 0;
    slot.crashes += 1;
    const delay = workerRestartDelayMs(slot.crashes);
    log.error(
      { proxyWorker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay },
      'proxy worker exited; restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      fork(slot);
    }, delay);
  };

  /** Kills a worker that does not answer in time: it might go on serving a route that was just switched. */
  const killLate = (slot: Slot, worker: Worker, what: string): void => {
    log.error(
      { proxyWorker: slot.index, workerPid: worker.process.pid, timeoutMs: ackTimeoutMs, what },
      'a proxy worker did not answer in time; killing it',
    );
    worker.process.kill('SIGKILL');
  };

  /** Resolves once the slot's worker confirmed `target` or is gone; kills it if it does neither in time. */
  const confirmed = (slot: Slot, target: number): Promise<void> => {
    const worker = slot.worker;
    if (worker === undefined || !slot.greeted || slot.acked >= target) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => killLate(slot, worker, 'route table'), ackTimeoutMs);
      slot.waiters.push({
        seq: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  };

  /** Sends a change to every worker; resolves once each confirmed it (or died: its replacement gets it). */
  const broadcast = async (): Promise<void> => {
    seq += 1;
    const target = seq;
    const message = tableMessage();
    for (const slot of slots) if (slot.worker && slot.greeted) send(slot.worker, message);
    await Promise.all(slots.map((slot) => confirmed(slot, target)));
  };

  /**
   * Asks every serving worker one question; the answers of those that answered (a worker that dies first has
   * nothing left in flight to report). A worker silent past `boundMs` is killed.
   */
  const askAll = async <T extends FromProxyWorker['type']>(
    question: (id: number) => ToProxyWorker,
    type: T,
    boundMs: number,
  ): Promise<{ slot: Slot; pid: number; answer: Extract<FromProxyWorker, { type: T }> }[]> => {
    const asked = slots.filter((slot) => slot.worker !== undefined && slot.greeted);
    const answers = await Promise.all(
      asked.map((slot) => {
        const worker = slot.worker as Worker; // filtered just above
        const id = nextQuestion++;
        return new Promise<FromProxyWorker | undefined>((resolve) => {
          const timer = setTimeout(() => killLate(slot, worker, type), boundMs);
          slot.questions.set(id, (answer) => {
            clearTimeout(timer);
            resolve(answer);
          });
          send(worker, question(id));
        });
      }),
    );
    return answers.flatMap((answer, i) => {
      const slot = asked[i];
      if (answer?.type !== type || slot === undefined) return [];
      // The answer's type was just checked against T.
      return [
        { slot, pid: slot.worker?.process.pid ?? 0, answer: answer as Extract<FromProxyWorker, { type: T }> },
      ];
    });
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    starting = undefined;
    const bound = options.stopTimeoutMs ?? STOP_TIMEOUT_MS;
    for (const slot of slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      // The worker's own bound is shorter, so it cuts what is left and exits before the kill below.
      if (slot.worker) send(slot.worker, { type: 'stop', timeoutMs: Math.max(0, bound - 1000) });
    }
    const all = Promise.all([...exited.values()]);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), bound);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      log.warn({ workers: exited.size }, 'proxy workers still busy at the stop bound; killing them');
      for (const worker of exited.keys()) worker.process.kill('SIGKILL');
      await Promise.all([...exited.values()]);
    }
  };

  const inFlightByWorker = async (upstreamUrl: string) => {
    const { origin } = parseUpstream(upstreamUrl);
    const answers = await askAll(
      (id) => ({ type: 'in-flight', id, upstream: origin }),
      'in-flight',
      ackTimeoutMs,
    );
    return answers.map(({ slot, pid, answer }) => ({
      worker: slot.index,
      pid,
      count: { http: answer.http, longLived: answer.longLived },
    }));
  };

  if (options.metrics)
    registerPooledProxyMetrics(options.metrics, async (): Promise<MetricsJson[]> => {
      const answers = await askAll((id) => ({ type: 'metrics', id }), 'metrics', ackTimeoutMs);
      return answers.map(({ answer }) => answer.metrics);
    });

  return {
    pids: () => slots.flatMap((slot) => (slot.worker?.process.pid ? [slot.worker.process.pid] : [])),

    async listen(host, port) {
      if (address !== undefined) throw new Error('the proxy workers are already started');
      address = { host, port: port === 0 ? await freePort(host) : port };
      await new Promise<void>((resolve, reject) => {
        const ready = new Set<number>();
        starting = {
          onListening(slot) {
            ready.add(slot.index);
            if (ready.size === slots.length) resolve();
          },
          fail: reject,
        };
        for (const slot of slots) fork(slot);
      }).catch(async (error: unknown) => {
        await stopAll();
        throw error;
      });
      starting = undefined;
      log.info({ workers: slots.length, port: address.port }, 'proxy workers started');
      return address.port;
    },

    close: stopAll,

    setRoute(host, route) {
      const key = routeKey(host);
      checkRoute(route);
      const { origin } = parseUpstream(route.upstream);
      const stored: ProxyRoute = { ...route, upstream: origin };
      if (route.excludePaths !== undefined) stored.excludePaths = [...route.excludePaths];
      const previous = table.get(key);
      table.set(key, stored);
      log.info(
        {
          host: key,
          upstream: origin,
          stage: route.stage,
          release: route.release,
          color: route.color,
          previous: previous?.upstream,
          workers: slots.length,
        },
        'proxy route set',
      );
      return broadcast();
    },

    removeRoute(host) {
      const key = routeKey(host);
      if (!table.delete(key)) return Promise.resolve(false);
      log.info({ host: key }, 'proxy route removed');
      return broadcast().then(() => true);
    },

    setMaintenance(host, message) {
      const key = routeKey(host);
      if (message === null) maintenance.delete(key);
      else maintenance.set(key, message);
      log.info({ host: key, maintenance: message !== null }, 'proxy maintenance mode');
      return broadcast();
    },

    async drain(upstreamUrl, timeoutMs) {
      checkDrainTimeout(timeoutMs);
      const { origin } = parseUpstream(upstreamUrl);
      // Each worker waits up to timeoutMs and then cuts; the bound adds the time to answer.
      const answers = await askAll(
        (id) => ({ type: 'drain', id, upstream: origin, timeoutMs }),
        'drained',
        timeoutMs + ackTimeoutMs,
      );
      const result: DrainResult = { completed: 0, cut: 0, closedLongLived: 0 };
      for (const { answer } of answers) {
        result.completed += answer.completed;
        result.cut += answer.cut;
        result.closedLongLived += answer.closedLongLived;
      }
      log.info({ upstream: origin, workers: answers.length, ...result }, 'proxy upstream drained');
      return result;
    },

    routes() {
      const out: ProxyRouteStatus[] = [];
      for (const [host, route] of table)
        out.push({ host, ...route, maintenance: maintenance.get(host) ?? null });
      return out;
    },

    async inFlight(upstreamUrl) {
      const sum: InFlightCount = { http: 0, longLived: 0 };
      for (const { count } of await inFlightByWorker(upstreamUrl)) {
        sum.http += count.http;
        sum.longLived += count.longLived;
      }
      return sum;
    },

    inFlightByWorker,
  };
}
