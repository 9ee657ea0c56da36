// Runs the files API's operations for agent-server.ts, once the gate verified the credential and the scope
// check passed: builds each request's FilesContext and answers an operation's errors as WebDAV would.
// `?download` is not here: it is WebDAV's GET with an attachment disposition (agent-server passes the flag).

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from '@homeport/core';
import type { MountClaims } from '../../credentials/mount-credential.js';
import { DavError } from '../dav/errors.js';
import { createExportRoot, type ExportRoot } from '../dav/fs/resolve.js';
import { type DavPath, keyOf } from '../dav/request-path.js';
import { sendFailure } from '../dav/respond.js';
import type { DavState } from '../dav/state/dav-state.js';
import type { AgentExport } from '../export-specs.js';
import type { FilesContext, FilesOperation } from './context.js';
import { handleList } from './list.js';
import type { FilesOperationName } from './operations.js';
import { lazyDavState } from './upload-dav-state.js';
import { uploadsOperation } from './uploads.js';
import { createWatchOperation, type WatchOptions } from './watch.js';
import { zipFolderOperation } from './zip-folder.js';

export interface FilesDispatchOptions {
  exports: readonly AgentExport[];
  /** The agent's state dir: each export gets `files/<hash of its folder>/` below it. */
  stateDir: string;
  log: Logger;
  watch: WatchOptions;
  /**
   * The WebDAV state uploads check locks in. A server that swaps its export set makes a dispatch per set:
   * it passes one opener for all of them, so the database is opened once (default: one per dispatch).
   */
  davState?: () => DavState;
}

export interface FilesRequest {
  operation: Exclude<FilesOperationName, 'download'>;
  target: AgentExport;
  path: DavPath;
  prefix: string;
  query: URLSearchParams;
  claims: MountClaims;
  credentialValid: () => boolean;
}

export interface FilesDispatch {
  serve(request: IncomingMessage, response: ServerResponse, files: FilesRequest): Promise<void>;
  /** Ends the answers that last (folder watches): the server is stopping. */
  endLongAnswers(): void;
}

interface ExportFiles {
  exportRoot: ExportRoot;
  stateDir: string;
  log: Logger;
  stateReady: boolean;
}

export function createFilesDispatch(options: FilesDispatchOptions): FilesDispatch {
  const watches = createWatchOperation(options.watch);
  const operations: Record<FilesRequest['operation'], FilesOperation> = {
    list: handleList,
    watch: watches.operation,
    zip: zipFolderOperation(),
    upload: uploadsOperation({ davState: options.davState ?? lazyDavState(options.stateDir) }),
  };
  const byMountPath = new Map<string, ExportFiles>(
    options.exports.map((item) => [
      item.mountPath,
      {
        exportRoot: createExportRoot(item.root),
        // By folder, not by mount path: a new label must not orphan the parts of uploads in progress.
        stateDir: join(
          options.stateDir,
          'files',
          createHash('sha256').update(item.root).digest('base64url').slice(0, 16),
        ),
        log: options.log.child({ export: item.mountPath }),
        stateReady: false,
      },
    ]),
  );

  return {
    endLongAnswers: () => watches.endAll(),
    async serve(request, response, files) {
      const entry = byMountPath.get(files.target.mountPath);
      try {
        if (entry === undefined) throw new DavError('not_found', 'No export here');
        if (!entry.stateReady) {
          mkdirSync(entry.stateDir, { recursive: true, mode: 0o700 });
          entry.stateReady = true;
        }
        const ctx: FilesContext = {
          root: entry.exportRoot.real,
          exportRoot: entry.exportRoot,
          relativePath: keyOf(files.path.segments),
          segments: files.path.segments,
          trailingSlash: files.path.trailingSlash,
          prefix: files.prefix,
          stateDir: entry.stateDir,
          query: files.query,
          claims: files.claims,
          credentialValid: files.credentialValid,
          log: entry.log,
        };
        await operations[files.operation](request, response, ctx);
      } catch (error) {
        sendFailure(response, error, entry?.log ?? options.log);
      }
    },
  };
}
