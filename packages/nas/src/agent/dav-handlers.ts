// One WebDAV handler per export, sharing one state database (locks, dead properties) in the agent state dir.

import { join } from 'node:path';
import { type Logger, openDatabase } from '@homeport/core';
import type { DavRequestHandler } from './agent-server.js';
import { createDavHandler, openDavState } from './dav/index.js';
import type { AgentExport } from './export-specs.js';

export function createDavHandlers(
  exports: readonly AgentExport[],
  stateDir: string,
  log: Logger,
): { handlers: Map<string, DavRequestHandler>; close(): void } {
  const db = openDatabase(join(stateDir, 'dav.db'));
  const state = openDavState(db);
  const handlers = new Map<string, DavRequestHandler>(
    exports.map((item) => [
      item.mountPath,
      createDavHandler({ root: item.root, state, log: log.child({ export: item.mountPath }) }),
    ]),
  );
  return { handlers, close: () => db.close() };
}
