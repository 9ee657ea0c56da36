// What every method handler receives: the export's fixed parts (context) and the request at hand.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@homeport/core';
import type { ExportRoot } from './fs/resolve.js';
import type { SmallFileCache } from './fs/small-file-cache.js';
import type { BufferPool } from './fs/stream-file.js';
import type { LockTimeouts } from './headers.js';
import type { DavLimits } from './limits.js';
import type { DavPath } from './request-path.js';
import type { DavState } from './state/dav-state.js';

/** Who calls and under which URL, decided by the caller per request (after it checked credentials). */
export interface DavScope {
  /** URL path prefix the export is mounted at, with a trailing slash, e.g. '/dav/exports/exp_1/'. */
  prefix: string;
  /** When true only GET, HEAD, OPTIONS and PROPFIND are allowed (403 otherwise). */
  readonly: boolean;
  /** The caller's identity: a lock's token only counts when sent by the principal who took the lock. */
  principal: string;
  /**
   * An administrator: UNLOCK with a lock's token removes it whoever took it (RFC 4918 9.11.1 lets a server
   * allow this), e.g. the lock a crashed client left on the export root.
   */
  mayBreakLocks: boolean;
  /** The files API's `?download`: a file is sent as an attachment whatever its type. */
  attachment?: boolean;
  /**
   * A share link's reach, as the real path of its item: folder listings (PROPFIND, the HTML page) leave out
   * symlinks leading outside it, as they leave out those leading outside the export.
   */
  containedIn?: string;
}

/** Fixed for the life of a handler. */
export interface DavContext {
  readonly root: ExportRoot;
  readonly state: DavState;
  readonly clock: () => number;
  readonly log: Logger | undefined;
  readonly newLockToken: () => string;
  readonly lockTimeouts: LockTimeouts;
  /** Cap on PROPFIND, PROPPATCH and LOCK bodies. */
  readonly maxXmlBytes: number;
  /** Quotas on dead properties and locks. */
  readonly limits: DavLimits;
  readonly smallFiles: SmallFileCache;
  /** Chunk buffers for streamed downloads, reused across requests. */
  readonly buffers: BufferPool;
}

/** One request being served. */
export interface DavRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly scope: DavScope;
  /** The request-URI inside the export. */
  readonly path: DavPath;
  readonly ctx: DavContext;
}
