// `GET <folder>/?zip`: the folder tree as a streamed ZIP (zip-writer.ts), walked depth first with one open
// directory handle per level, so memory does not grow with the number of files.

import type { Dir } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { attachmentDisposition } from '../dav/content-headers.js';
import { DavError } from '../dav/errors.js';
import { errnoCode } from '../dav/fs/resolve.js';
import { TEMP_PREFIX } from '../dav/request-path.js';
import type { FilesContext, FilesOperation } from './context.js';
import { fileSources } from './zip-file-source.js';
import { createZipWriter, type ZipWriterOptions } from './zip-writer.js';

/**
 * Deepest folder level walked. Each level holds a directory handle open while the levels below are walked; a
 * tree made deeper than this (on purpose, to hold descriptors) ends the download with an error instead.
 */
export const MAX_ZIP_DEPTH = 64;
/** Entries fetched per readdir call of each level. */
const DIR_BUFFER = 64;
/** Errors that mean "it is gone" (or was never there to read): the folder is skipped, the archive goes on. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM']);

export interface ZipFolderOptions {
  /** Passed to the writer (tests force ZIP64). */
  writer?: ZipWriterOptions;
}

interface Level {
  dir: Dir;
  /** Real path of the folder. */
  path: string;
  /** Entry name prefix in the archive ('' for the zipped folder itself, else 'a/b/'). */
  prefix: string;
}

/**
 * A name as an archive entry: a backslash is a separator to Windows extractors, so a file named `..\x`
 * (possible on Linux, not creatable over WebDAV) must not become a path out of the extraction folder.
 */
const entryName = (name: string) => name.replaceAll('\\', '_');

/** The archive's file name: the folder's name, or the export's (last segment of its mount path) for its root. */
function archiveName(ctx: FilesContext): string {
  const last = ctx.segments[ctx.segments.length - 1];
  if (last !== undefined) return `${last}.zip`;
  const slug = ctx.prefix.split('/').filter((part) => part !== '');
  return `${slug[slug.length - 1] ?? basename(ctx.root)}.zip`;
}

/**
 * Answers `GET <folder>/?zip` (and HEAD, without a body). After the headers, any failure — a read error, a
 * file that changed size or was rewritten while it was read, a tree too deep — destroys the response: the
 * client sees a broken download, never an archive that silently lacks bytes.
 */
export function zipFolderOperation(options: ZipFolderOptions = {}): FilesOperation {
  return async (request, response, ctx) => {
    const resolved = await ctx.exportRoot.resolve(ctx.segments);
    if (resolved.kind !== 'found') throw new DavError('not_found', 'No such folder');
    if (!resolved.stats.isDirectory())
      throw new DavError('bad_request', 'Only a folder can be downloaded as a ZIP');
    response.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Disposition': attachmentDisposition(archiveName(ctx)),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    // The download starts now in the browser, even while the first 64 KiB are gathered.
    response.flushHeaders();
    // The archive's index spills to the export's private state dir past 4 MiB (about 30,000 entries).
    const zip = createZipWriter(response, { spillDir: ctx.stateDir, ...options.writer });
    const sources = fileSources();
    const levels: Level[] = [];
    try {
      levels.push({
        dir: await opendir(resolved.targetPath, { bufferSize: DIR_BUFFER }),
        path: resolved.targetPath,
        prefix: '',
      });
      for (;;) {
        const level = levels[levels.length - 1];
        if (level === undefined) break;
        const entry = await level.dir.read();
        if (entry === null) {
          levels.pop();
          await level.dir.close();
          continue;
        }
        if (entry.name.startsWith(TEMP_PREFIX)) continue; // an upload in flight, hidden as WebDAV hides it
        const path = `${level.path}/${entry.name}`;
        const name = `${level.prefix}${entryName(entry.name)}`;
        if (entry.isDirectory()) {
          if (levels.length >= MAX_ZIP_DEPTH)
            throw new DavError('forbidden', `Folders nested deeper than ${MAX_ZIP_DEPTH} levels`);
          let dir: Dir;
          try {
            dir = await opendir(path, { bufferSize: DIR_BUFFER });
          } catch (error) {
            if (GONE.has(errnoCode(error) ?? '')) continue;
            throw error;
          }
          levels.push({ dir, path, prefix: `${name}/` });
          await zip.addFolder(name, await modifiedOf(path));
          continue;
        }
        // Symlinks (in or out of the export), FIFOs, sockets and devices are not part of the archive.
        if (!entry.isFile()) continue;
        const source = await sources.open(path);
        if (source === undefined) continue;
        try {
          await zip.addFile(name, source.stats.size, source.stats.mtime, source.data);
          // Same length is not enough: a file rewritten in place while it was read gives mixed bytes.
          if (!(await source.unchanged()))
            throw new DavError('conflict', `"${name}" changed while it was read`);
        } finally {
          await source.close();
        }
      }
      await zip.finish();
      response.end();
    } catch (error) {
      // Already failing: a close error would only hide the first one.
      for (const level of levels) await level.dir.close().catch(() => undefined);
      if (!response.destroyed) {
        ctx.log.warn({ err: error, path: ctx.relativePath }, 'zip download ended early');
        // Cut, not ended: the client must see a broken download.
        response.destroy();
      }
    } finally {
      await zip.close();
    }
  };
}

/** A folder's modification time (a stat failure only loses the date: the folder was just opened). */
async function modifiedOf(path: string): Promise<Date> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return new Date(0); // cosmetic: the folder's content is what matters
  }
}
