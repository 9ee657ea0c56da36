// A WebDAV worker: serves the agent's port (shared through node:cluster) with its own event loop, credential
// gate and small-file cache, and the agent's SQLite state. The primary sends the gate's state; the worker
// acknowledges each change, starts listening only once it has one, and logs through the primary.

import { createLogger } from '@homeport/core';
import { createAgentServer, type DavRequestHandler, setServerExports } from '../agent-server.js';
import { closeServer } from '../close-server.js';
import { createCredentialGate } from '../credential-gate.js';
import { createDavHandlers } from '../dav-handlers.js';
import { applyGateState, gateStateFromWire } from '../gate-state.js';
import { type FromWorker, parseToWorker } from './messages.js';
import { parseWorkerConfig, WORKER_CONFIG_ENV } from './worker-config.js';

export function runDavWorker(): void {
  const send = (message: FromWorker): void => {
    if (process.connected) process.send?.(message);
  };
  const config = parseWorkerConfig(process.env[WORKER_CONFIG_ENV]);
  // Lines go to the primary, which writes them with its own logger (one stream, pretty on a terminal).
  const log = createLogger({
    level: config.logLevel,
    base: { worker: config.index, workerPid: process.pid },
    destination: { write: (line: string) => send({ type: 'log', line }) },
  });
  // The primary swept leftover uploads before starting any worker: one restarted now must not delete the
  // temp file of an upload another worker is writing.
  const dav = createDavHandlers(config.exports, config.stateDir, log, { sweepUploads: false });
  let lastKeyQuestion = 0;
  const gate = createCredentialGate({
    // Any client can name an unknown key id: ask the primary at most once a second, not once per request.
    onUnknownKey: (keyId) => {
      if (Date.now() - lastKeyQuestion < 1000) return;
      lastKeyQuestion = Date.now();
      send({ type: 'unknown-key', keyId });
    },
  });
  const server = createAgentServer({
    exports: config.exports,
    handlers: dav.handlers,
    gate,
    log,
    files: { stateDir: config.stateDir },
  });

  let handlers: ReadonlyMap<string, DavRequestHandler> = dav.handlers;
  let roots = new Map(config.exports.map((item) => [item.mountPath, item.root]));
  let listening = false;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Requests in flight finish (the primary kills the worker past its stop bound); then the cluster's
    // disconnect handler ends the process.
    void closeServer(server).then(() => {
      dav.close();
      process.disconnect?.();
    });
  };

  const listen = (): void => {
    listening = true;
    server.once('error', (error: NodeJS.ErrnoException) => {
      send({ type: 'listen-failed', code: error.code ?? 'unknown', message: error.message });
      process.exitCode = 1;
      stop();
    });
    server.listen(config.port, config.host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      send({ type: 'listening', address: address.address, family: address.family, port: address.port });
    });
  };

  process.on('message', (raw: unknown) => {
    const message = parseToWorker(raw);
    if (message === undefined) {
      log.error({}, 'ignored a malformed message from the agent process');
      return;
    }
    if (message.type === 'stop') {
      stop();
      return;
    }
    if (message.type === 'exports') {
      // Handlers of kept exports are reused (their caches stay warm); new ones share the state database.
      const next = new Map<string, DavRequestHandler>();
      for (const item of message.exports) {
        const kept = handlers.get(item.mountPath);
        next.set(
          item.mountPath,
          kept && roots.get(item.mountPath) === item.root ? kept : dav.handlerFor(item),
        );
      }
      handlers = next;
      roots = new Map(message.exports.map((item) => [item.mountPath, item.root]));
      setServerExports(server, message.exports, next);
      send({ type: 'applied', seq: message.seq });
      return;
    }
    applyGateState(gate, gateStateFromWire(message.state));
    send({ type: 'applied', seq: message.seq });
    if (!listening && !stopping) listen();
  });
  // A terminal's Ctrl-C reaches the whole process group: finish what is in flight, as on the primary's stop.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  send({ type: 'hello' });
}
