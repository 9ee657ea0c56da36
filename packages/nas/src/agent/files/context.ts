// The contract of the browser's files API (`?list`, `?watch`, `?download`, `?zip`, `?upload`…): what every
// operation is handed once the gate verified the credential and the scope check passed.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@homeport/core';
import type { MountClaims } from '../../credentials/mount-credential.js';
import type { ExportRoot } from '../dav/fs/resolve.js';

export interface FilesContext {
  /** Real path of the export's folder (symlinks resolved at start). */
  readonly root: string;
  /**
   * The checked resolver of that folder (dav/fs/resolve.ts): use it to reach files, so a symlink leading out
   * of the export is refused exactly as WebDAV refuses it.
   */
  readonly exportRoot: ExportRoot;
  /**
   * The request path inside the export, decoded once and checked by dav/request-path.ts (no `.`/`..`, no
   * encoded slash or NUL, no temp names): `/` for the export root, else `/a/b` (no trailing slash).
   */
  readonly relativePath: string;
  /** The same path as decoded segments ([] for the export root). */
  readonly segments: readonly string[];
  /** The URL ended with `/` (the client means a folder). */
  readonly trailingSlash: boolean;
  /** URL path prefix the export is served at, with its trailing slash (`/dav/photos/`): for Location headers. */
  readonly prefix: string;
  /**
   * A folder of the agent's state dir that belongs to this export only (created before the first
   * operation, mode 0700): resumable upload parts and their bookkeeping, never inside the export.
   */
  readonly stateDir: string;
  /** The query string, `access_token` already removed. */
  readonly query: URLSearchParams;
  /** The verified credential (its scope, if any, was already enforced for `relativePath`). */
  readonly claims: MountClaims;
  /**
   * Whether the credential is still good (not expired, not revoked, key not retired): a long-lived answer
   * (`?watch`) checks it now and then and ends when it turns false.
   */
  readonly credentialValid: () => boolean;
  readonly log: Logger;
}

/**
 * One operation of the files API. It answers the request itself; a `DavError` (or an fs error) it throws is
 * answered by dispatch.ts with the status WebDAV would give (dav/respond.ts), or ends the response if headers
 * were already sent.
 */
export type FilesOperation = (
  request: IncomingMessage,
  response: ServerResponse,
  ctx: FilesContext,
) => Promise<void>;
