// One WebDAV handler per export, sharing one state database (locks, dead properties) in the agent state dir;
// with WebDAV workers, every worker opens it (SQLite in WAL mode, busy timeout 5 s: see openDatabase).

import { join } from 'node:path';
import { type Logger, openDatabase } from '@homeport/core';
import type { DavRequestHandler } from './agent-server.js';
import { createDavHandler, openDavState } from './dav/index.js';
import type { AgentExport } from './export-specs.js';

export function createDavHandlers(
  exports: readonly AgentExport[],
  stateDir: string,
  log: Logger,
  options: { sweepUploads?: boolean } = {},
): {
  handlers: Map<string, DavRequestHandler>;
  /** The handler of an export added later (a managed export), on the same state database. */
  handlerFor(item: AgentExport): DavRequestHandler;
  close(): void;
} {
  const db = openDatabase(join(stateDir, 'dav.db'));
  const state = openDavState(db, options);
  const handlerFor = (item: AgentExport) =>
    createDavHandler({ root: item.root, state, log: log.child({ export: item.mountPath }) });
  const handlers = new Map<string, DavRequestHandler>(
    exports.map((item) => [item.mountPath, handlerFor(item)]),
  );
  return { handlers, handlerFor, close: () => db.close() };
}

/**
 * Migrates the state database and deletes uploads a previous run left unfinished, then closes it: what the
 * agent process does once before it starts WebDAV workers (each opens the database itself, without sweeping).
 */
export function prepareDavState(stateDir: string): void {
  const db = openDatabase(join(stateDir, 'dav.db'));
  try {
    openDavState(db);
  } finally {
    db.close();
  }
}
