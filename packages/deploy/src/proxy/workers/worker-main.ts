// A proxy worker: serves the proxy port (shared through node:cluster) with its own event loop, route table,
// upstream keep-alive pools and in-flight table. The primary sends the start-up configuration, then every
// table change; the worker confirms each, starts listening only once it has the table, and logs through the
// primary. WebSockets and streams stay in the worker that holds them: a drain closes them there.

import { createLogger, type Logger } from '@homeport/core';
import { Registry } from 'prom-client';
import { createProxy } from '../proxy.js';
import type { InProcessProxy } from '../types.js';
import {
  type FromProxyWorker,
  type ProxyTableWire,
  type ProxyWorkerConfig,
  parseToProxyWorker,
} from './messages.js';

/** A stop signal from a terminal (Ctrl-C reaches the whole process group) lets requests finish this long. */
const SIGNAL_STOP_MS = 8000;

/** Applies a whole table as the changes from the one in effect: hosts whose route is the same keep it. */
function applyTable(
  proxy: InProcessProxy,
  applied: { routes: Map<string, string>; maintenance: Map<string, string> },
  table: ProxyTableWire,
  failed: (host: string, error: unknown) => void,
): void {
  // The primary checks routes as the proxy does, so a refusal here is a bug; a worker that crashed on it
  // would be restarted into the same table over and over. Each change is tried on its own and reported.
  const attempt = (host: string, change: () => void) => {
    try {
      change();
    } catch (error) {
      failed(host, error);
    }
  };
  const routes = new Map(table.routes);
  for (const host of applied.routes.keys()) {
    if (!routes.has(host)) {
      attempt(host, () => void proxy.removeRoute(host));
      applied.routes.delete(host);
    }
  }
  for (const [host, route] of routes) {
    const text = JSON.stringify(route);
    if (applied.routes.get(host) === text) continue;
    attempt(host, () => void proxy.setRoute(host, route));
    applied.routes.set(host, text);
  }
  const maintenance = new Map(table.maintenance);
  for (const host of applied.maintenance.keys()) {
    if (!maintenance.has(host)) {
      attempt(host, () => void proxy.setMaintenance(host, null));
      applied.maintenance.delete(host);
    }
  }
  for (const [host, message] of maintenance) {
    if (applied.maintenance.get(host) === message) continue;
    attempt(host, () => void proxy.setMaintenance(host, message));
    applied.maintenance.set(host, message);
  }
}

export function runProxyWorker(): void {
  const send = (message: FromProxyWorker): void => {
    if (process.connected) process.send?.(message);
  };
  let config: ProxyWorkerConfig | undefined;
  let log: Logger | undefined;
  let proxy: InProcessProxy | undefined;
  let registry: Registry | undefined;
  const applied = { routes: new Map<string, string>(), maintenance: new Map<string, string>() };
  let listening = false;
  let stopping = false;

  const stop = (timeoutMs: number): void => {
    if (stopping) return;
    stopping = true;
    // Requests in flight finish (the primary kills the worker past its stop bound); then the cluster's
    // disconnect handler ends the process.
    void (proxy?.stop(timeoutMs) ?? Promise.resolve()).then(() => process.disconnect?.());
  };

  const start = (given: ProxyWorkerConfig): void => {
    config = given;
    // Lines go to the primary, which writes them with its own logger (one stream, pretty on a terminal).
    log = createLogger({
      level: given.logLevel,
      base: { proxyWorker: given.index, workerPid: process.pid },
      destination: { write: (line: string) => send({ type: 'log', line }) },
    });
    // The primary logs each route change once; N workers saying it again at info would only repeat it.
    const proxyLog = log.isLevelEnabled('info') ? log.child({}, { level: 'warn' }) : log;
    registry = given.metrics ? new Registry() : undefined;
    proxy = createProxy({
      log: proxyLog,
      limits: given.limits,
      trustForwardedFrom: given.trustForwardedFrom,
      ...(registry ? { metrics: registry } : {}),
      ...(given.probeToken === undefined ? {} : { probeToken: given.probeToken }),
    });
  };

  const listen = (served: InProcessProxy, at: ProxyWorkerConfig): void => {
    listening = true;
    served.listen(at.host, at.port).then(
      (port) => send({ type: 'listening', port }),
      (error: NodeJS.ErrnoException) => {
        send({ type: 'listen-failed', code: error.code ?? 'unknown', message: error.message });
        process.exitCode = 1;
        stop(0);
      },
    );
  };

  process.on('message', (raw: unknown) => {
    const message = parseToProxyWorker(raw);
    if (message === undefined) {
      log?.error({}, 'ignored a malformed message from the Homeport process');
      return;
    }
    if (message.type === 'start') {
      if (config === undefined) start(message.config);
      return;
    }
    if (message.type === 'stop') {
      stop(message.timeoutMs);
      return;
    }
    if (proxy === undefined || config === undefined) {
      log?.error({ type: message.type }, 'a proxy worker message before its start-up configuration');
      return;
    }
    const served = proxy;
    switch (message.type) {
      case 'table':
        applyTable(served, applied, message, (host, error) =>
          log?.error({ err: error, host }, 'a proxy worker could not apply a route'),
        );
        send({ type: 'applied', seq: message.seq });
        if (!listening && !stopping) listen(served, config);
        return;
      case 'drain':
        served.drain(message.upstream, message.timeoutMs).then(
          (result) => send({ type: 'drained', id: message.id, ...result }),
          (error: unknown) => {
            log?.error({ err: error, upstream: message.upstream }, 'proxy worker drain failed');
            send({ type: 'drained', id: message.id, completed: 0, cut: 0, closedLongLived: 0 });
          },
        );
        return;
      case 'in-flight':
        send({ type: 'in-flight', id: message.id, ...served.inFlight(message.upstream) });
        return;
      case 'metrics':
        void (registry?.getMetricsAsJSON() ?? Promise.resolve([])).then((metrics) =>
          send({ type: 'metrics', id: message.id, metrics }),
        );
        return;
    }
  });
  process.on('SIGINT', () => stop(SIGNAL_STOP_MS));
  process.on('SIGTERM', () => stop(SIGNAL_STOP_MS));
  send({ type: 'hello' });
}
