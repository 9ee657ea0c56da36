// createDavHandler: checks the options once, then serves each request by method on raw node:http objects.

import { randomUUID } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute } from 'node:path';
import type { Logger } from '@homeport/core';
import type { DavContext, DavRequest, DavScope } from './context.js';
import { DavError } from './errors.js';
import { createExportRoot } from './fs/resolve.js';
import { createSmallFileCache } from './fs/small-file-cache.js';
import { createBufferPool } from './fs/stream-file.js';
import type { LockTimeouts } from './headers.js';
import { type DavLimits, davLimits } from './limits.js';
import { handleCopyMove } from './methods/copy-move.js';
import { handleDelete } from './methods/delete.js';
import { handleGet } from './methods/get.js';
import { handleLock } from './methods/lock.js';
import { handleMkcol } from './methods/mkcol.js';
import { allowHeader, handleOptions, READ_METHODS } from './methods/options.js';
import { handlePropfind } from './methods/propfind.js';
import { handleProppatch } from './methods/proppatch.js';
import { handlePut } from './methods/put.js';
import { handleUnlock } from './methods/unlock.js';
import { parseRequestTarget } from './request-path.js';
import { sendFailure } from './respond.js';
import type { DavState } from './state/dav-state.js';

export interface DavHandlerOptions {
  /** Absolute path of the export root on disk. */
  root: string;
  /** Locks and dead properties, shared by all exports of an agent. */
  state: DavState;
  clock?: () => number;
  log?: Logger;
  /** Lock tokens; defaults to `urn:uuid:` + a random UUID. */
  newLockToken?: () => string;
  /** Lock Timeout when the client asks none, and the cap on what it may ask (Infinite included). */
  lockTimeouts?: LockTimeouts;
  /** Cap on PROPFIND, PROPPATCH and LOCK bodies (default 1 MiB; larger gets 413). */
  maxXmlBytes?: number;
  /** Memory for small files' bytes (default 32 MiB; 0 turns the cache off). */
  smallFileCacheBytes?: number;
  /** Quotas on dead properties and locks (default DEFAULT_DAV_LIMITS). */
  limits?: Partial<DavLimits>;
}

export type DavHandler = (req: IncomingMessage, res: ServerResponse, scope: DavScope) => Promise<void>;

/** 10 minutes without a Timeout header, at most an hour: a crashed client's lock frees the file soon. */
const DEFAULT_LOCK_TIMEOUTS: LockTimeouts = { defaultSeconds: 600, maxSeconds: 3600 };
const SMALL_FILE_MAX = 64 * 1024;

type MethodHandler = (r: DavRequest) => Promise<void>;

const METHODS: ReadonlyMap<string, MethodHandler> = new Map<string, MethodHandler>([
  ['GET', (r) => handleGet(r, false)],
  ['HEAD', (r) => handleGet(r, true)],
  ['PUT', handlePut],
  ['DELETE', handleDelete],
  ['MKCOL', handleMkcol],
  ['COPY', (r) => handleCopyMove(r, false)],
  ['MOVE', (r) => handleCopyMove(r, true)],
  ['PROPFIND', handlePropfind],
  ['PROPPATCH', handleProppatch],
  ['LOCK', handleLock],
  ['UNLOCK', handleUnlock],
]);

function checkedRoot(root: string): string {
  if (!isAbsolute(root))
    throw new DavError('bad_request', `The export root must be an absolute path: "${root}"`);
  let real: string;
  try {
    real = realpathSync(root);
  } catch (error) {
    throw new DavError('not_found', `The export root ${root} does not exist`, { cause: error });
  }
  if (!statSync(real).isDirectory())
    throw new DavError('bad_request', `The export root ${root} is not a folder`);
  return real;
}

/**
 * A request handler serving the folder `root` as a WebDAV class 1 and 2 share under `scope.prefix`. It does no
 * authentication: the caller verifies credentials first, and may call it for OPTIONS without any (OPTIONS
 * reads only `scope.prefix` and `scope.readonly`, never the disk or `principal`).
 *
 * @example
 *   const dav = createDavHandler({ root: '/srv/photos', state: openDavState(db), log });
 *   http.createServer((req, res) => dav(req, res, { prefix: '/dav/exports/exp_1/', readonly: false, principal: 'usr_1', mayBreakLocks: false }));
 */
export function createDavHandler(options: DavHandlerOptions): DavHandler {
  const clock = options.clock ?? Date.now;
  const ctx: DavContext = {
    root: createExportRoot(checkedRoot(options.root)),
    state: options.state,
    clock,
    log: options.log,
    newLockToken: options.newLockToken ?? (() => `urn:uuid:${randomUUID()}`),
    lockTimeouts: options.lockTimeouts ?? DEFAULT_LOCK_TIMEOUTS,
    maxXmlBytes: options.maxXmlBytes ?? 1024 * 1024,
    limits: davLimits(options.limits),
    smallFiles: createSmallFileCache({
      maxBytes: options.smallFileCacheBytes ?? 32 * 1024 * 1024,
      maxFileBytes: SMALL_FILE_MAX,
      clock,
    }),
    // Two buffers per download in flight; eight kept idle cover four parallel downloads without allocating.
    buffers: createBufferPool(8),
  };

  return async (req, res, scope) => {
    try {
      if (!scope.prefix.startsWith('/') || !scope.prefix.endsWith('/')) {
        throw new Error(`DavScope.prefix must start and end with "/": "${scope.prefix}"`);
      }
      const method = req.method ?? 'GET';
      const path = parseRequestTarget(req.url ?? '/', scope.prefix);
      if (method === 'OPTIONS') {
        handleOptions(res, scope);
        return;
      }
      const handler = METHODS.get(method);
      if (handler === undefined) {
        throw new DavError('method_not_allowed', `${method} is not supported here`, {
          headers: { Allow: allowHeader(scope) },
        });
      }
      if (scope.readonly && !READ_METHODS.has(method)) {
        throw new DavError('read_only', 'This share is read-only');
      }
      await handler({ req, res, scope, path, ctx });
    } catch (error) {
      sendFailure(res, error, ctx.log);
    }
  };
}
