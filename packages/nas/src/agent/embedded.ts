// Builds an agent from settings: for `homeport agent`, and embedded in `homeport start` so a newcomer can
// mount `<data-dir>/files` at once.

import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { type Config, ConfigError, type Logger } from '@homeport/core';
import { agentSettings, MAX_AUTO_DAV_WORKERS } from '../settings.js';
import { type Agent, createAgent } from './agent.js';
import { type DavFrontFactory, inProcessFront } from './dav-front.js';
import { createDavHandlers, prepareDavState } from './dav-handlers.js';
import { parseExportSpecs } from './export-specs.js';
import { startUploadSweeper } from './files/upload-sweeper.js';
import { resolveExportRoots } from './managed-exports.js';
import { davWorkerPool } from './workers/worker-pool.js';

export interface AgentFromConfigOptions {
  config: Config;
  log: Logger;
  version: string;
  /** Embedded mode: the control plane's own URL and bootstrap token, and defaults under the data dir. */
  embedded?: {
    controlPlaneUrl: string;
    bootstrapToken: string;
    dataDir: string;
    bind: string;
    publicUrl: string | undefined;
  };
  /** Bootstrap token for a standalone agent (from nasSettings). */
  bootstrapToken?: string | undefined;
}

/**
 * On a wildcard bind the listening address is no address a client can use; the public URL's host is
 * (with the agent's own port).
 */
function embeddedAdvertiseUrl(
  embedded: AgentFromConfigOptions['embedded'],
  host: string,
  port: number,
): string | undefined {
  if (!embedded?.publicUrl || (host !== '0.0.0.0' && host !== '::')) return undefined;
  const url = new URL(embedded.publicUrl);
  return `http://${url.hostname}:${port}`;
}

/** `host:port` (`[::1]:8090` for IPv6) of --listen, or the fallback when it is not set. */
export function listenAddress(
  listen: string | undefined,
  fallbackHost: string,
  fallbackPort: number,
): { host: string; port: number } {
  if (!listen) return { host: fallbackHost, port: fallbackPort };
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) };
}

/** HOMEPORT_DAV_WORKERS as a count: `auto` is one per core the process may use, at most MAX_AUTO_DAV_WORKERS. */
export function davWorkerCount(setting: number | 'auto', cores = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, Math.min(cores, MAX_AUTO_DAV_WORKERS)) : setting;
}

export function agentFromConfig(options: AgentFromConfigOptions): Agent & { close(): Promise<void> } {
  const settings = options.config.read(agentSettings);
  const { embedded } = options;
  const controlPlaneUrl = embedded?.controlPlaneUrl ?? settings.controlPlaneUrl;
  if (!controlPlaneUrl)
    throw new ConfigError(['--control-plane (HOMEPORT_CONTROL_PLANE_URL): give the control plane URL']);
  const specs = settings.exports ?? (embedded ? [`${join(embedded.dataDir, 'files')}:Files`] : []);
  if (specs.length === 0)
    throw new ConfigError([
      '--export (HOMEPORT_EXPORTS): give at least one folder, e.g. --export /srv/photos:Photos',
    ]);
  const exports = parseExportSpecs(specs, {
    create: embedded !== undefined && settings.exports === undefined,
  });
  const stateDir = resolve(
    settings.stateDir ?? (embedded ? join(embedded.dataDir, 'agent') : './homeport-agent'),
  );
  const { host, port } = listenAddress(settings.listen, embedded?.bind ?? '127.0.0.1', settings.davPort);
  const log = options.log.child({ component: 'agent' });
  const exportRoots = resolveExportRoots(settings.exportRoots ?? [], [
    stateDir,
    ...(embedded ? [resolve(embedded.dataDir)] : []),
  ]);
  const workers = davWorkerCount(settings.davWorkers);
  let closeDav = (): void => undefined;
  let front: DavFrontFactory;
  if (workers > 1) {
    // Migrations and the sweep of leftover uploads happen here, once, before any worker opens the database.
    prepareDavState(stateDir);
    front = davWorkerPool({ count: workers, exports, stateDir, log });
  } else {
    const dav = createDavHandlers(exports, stateDir, log);
    closeDav = dav.close;
    front = inProcessFront({ exports, handlers: dav.handlers, handlerFor: dav.handlerFor, log, stateDir });
  }
  const agent = createAgent({
    controlPlaneUrl,
    bootstrapToken: embedded?.bootstrapToken ?? options.bootstrapToken,
    exports,
    exportRoots,
    front,
    host,
    port,
    advertiseUrl: settings.advertiseUrl ?? embeddedAdvertiseUrl(embedded, host, port),
    displayName: settings.nodeName,
    machineId: settings.machineId,
    heartbeatMs: settings.heartbeatInterval,
    stateDir,
    version: options.version,
    log,
  });
  // Abandoned resumable uploads of the files API: swept here, in the agent process only (not by workers).
  let sweeper: { stop(): void } | undefined;
  const stopSweeper = () => {
    sweeper?.stop();
    sweeper = undefined;
  };
  return {
    get machineId() {
      return agent.machineId;
    },
    start: () => {
      sweeper ??= startUploadSweeper({ stateDir, log });
      return agent.start();
    },
    registered: () => agent.registered(),
    nudge: () => agent.nudge(),
    stop: () => {
      stopSweeper();
      return agent.stop();
    },
    async close() {
      stopSweeper();
      await agent.stop();
      closeDav();
    },
  };
}
