// OPTIONS: advertises DAV class 1 and 2 without touching the disk, so a caller may answer it before any login.

import type { ServerResponse } from 'node:http';
import type { DavScope } from '../context.js';
import { sendEmpty } from '../respond.js';

/** Methods a read-only share allows. */
export const READ_METHODS: ReadonlySet<string> = new Set(['OPTIONS', 'GET', 'HEAD', 'PROPFIND']);
const ALL_METHODS = 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK';
const READ_ONLY_ALLOW = 'OPTIONS, GET, HEAD, PROPFIND';

export function allowHeader(scope: DavScope): string {
  return scope.readonly ? READ_ONLY_ALLOW : ALL_METHODS;
}

/**
 * Finder sends OPTIONS without credentials and refuses the mount on a 401, and Windows' mini-redirector reads
 * `MS-Author-Via: DAV` to decide it is talking to a WebDAV server rather than FrontPage. A read-only share
 * claims class 1 only: Finder mounts a server without locking read-only, which is what the share is.
 */
export function handleOptions(res: ServerResponse, scope: DavScope): void {
  sendEmpty(res, 200, {
    DAV: scope.readonly ? '1' : '1, 2',
    Allow: allowHeader(scope),
    'MS-Author-Via': 'DAV',
  });
}
