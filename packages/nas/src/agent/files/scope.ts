// Share links' reach: a scoped credential (claims v3) opens one file or folder of the export, `view` to read
// it, `drop` only to add new files to it. Decided on the decoded path and the selected operation before any
// handler runs, then once more on real paths, so no symlink inside the export leads out of the scope.

import { realpath } from 'node:fs/promises';
import type { CredentialScope } from '../../credentials/mount-credential.js';
import { DavError } from '../dav/errors.js';
import { errnoCode } from '../dav/fs/resolve.js';
import type { FilesOperationName } from './operations.js';

const VIEW_METHODS = new Set(['GET', 'HEAD', 'PROPFIND', 'OPTIONS']);
const VIEW_OPERATIONS = new Set<FilesOperationName | undefined>([
  undefined,
  'list',
  'zip',
  'watch',
  'download',
]);
const UPLOAD_METHODS = new Set(['POST', 'HEAD', 'PATCH', 'DELETE']);

/** What a scoped request may do once allowed. */
export type ScopeGrant =
  /** Read as a read-only credential reads. */
  | 'read'
  /** A file drop's write (a resumable upload or a PUT of a new file): never over an existing name. */
  | 'drop';

const refused = (message: string) => new DavError('forbidden', message);

const segmentsOfScope = (path: string) => (path === '/' ? [] : path.slice(1).split('/'));

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= segments.length && prefix.every((segment, index) => segments[index] === segment);
}

/**
 * Whether the scope lets `method` with `operation` reach `segments` (the decoded path inside the export).
 * Throws a 403 DavError otherwise; returns what the request may then do.
 */
export function decideScope(
  scope: CredentialScope,
  method: string,
  operation: FilesOperationName | undefined,
  segments: readonly string[],
  trailingSlash: boolean,
): ScopeGrant {
  const base = segmentsOfScope(scope.path);
  if (!startsWith(segments, base)) throw refused('This link does not reach that path');
  if (scope.mode === 'view') {
    if (!VIEW_METHODS.has(method) || !VIEW_OPERATIONS.has(operation))
      throw refused('This link only lets you view and download');
    return 'read';
  }
  // A file drop reads nothing: no listing, no download, no PROPFIND, not even whether a name exists.
  const atScope = segments.length === base.length;
  if (operation === 'upload' && UPLOAD_METHODS.has(method) && atScope) return 'drop';
  if (operation === undefined && method === 'OPTIONS' && atScope) return 'read';
  if (operation === undefined && method === 'PUT' && segments.length === base.length + 1 && !trailingSlash)
    return 'drop';
  throw refused('This link only accepts new files');
}

/**
 * The real path of the scope and of the request's target (or, for a name not there yet, of its folder) must
 * nest: a symlink inside the shared folder pointing elsewhere in the export is refused here, whereas WebDAV
 * (which only keeps links inside the export) would follow it. A scope that no longer exists answers 404.
 * Returns the scope's real path.
 */
export async function checkRealScope(
  root: string,
  scope: CredentialScope,
  segments: readonly string[],
): Promise<string> {
  const scopeReal = await realScopePath(root, scope);
  if (scopeReal === undefined) throw new DavError('not_found', 'The shared item is gone');
  const inside = (path: string) => insideScope(scopeReal, path);
  if (!(scopeReal === root || scopeReal.startsWith(`${root}/`)))
    throw refused('The shared item is not inside the export');
  const target = await realOrUndefined(join(root, segments));
  if (target !== undefined) {
    if (!inside(target)) throw refused('This link does not reach that path');
    return scopeReal;
  }
  // Not there (yet): a drop's new file. Its folder must be the scope's real folder or below it.
  const parent = await realOrUndefined(join(root, segments.slice(0, -1)));
  if (parent === undefined) throw new DavError('not_found', 'No such folder');
  if (!inside(parent)) throw refused('This link does not reach that path');
  return scopeReal;
}

/** The real path of a scope's item, or undefined when it is gone. */
export function realScopePath(root: string, scope: CredentialScope): Promise<string | undefined> {
  return realOrUndefined(join(root, segmentsOfScope(scope.path)));
}

/** Whether a real path is the scope's real path or lies below it. */
export const insideScope = (scopeReal: string, path: string): boolean =>
  path === scopeReal || path.startsWith(`${scopeReal}/`);

const join = (root: string, segments: readonly string[]) =>
  segments.length === 0 ? root : `${root}/${segments.join('/')}`;

async function realOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw error;
  }
}
