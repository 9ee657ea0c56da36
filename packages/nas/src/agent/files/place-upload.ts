// The end of a resumable upload: the complete part becomes the file in one step, as PUT's temp file does
// (readers see the old file or the whole new one). A part on another filesystem than the export (the state
// dir elsewhere) is first copied next to the target, then renamed.

import { constants } from 'node:fs';
import { chmod, copyFile, link, rename, stat, unlink } from 'node:fs/promises';
import { DavError } from '../dav/errors.js';
import { etagOf } from '../dav/etag.js';
import { errnoCode } from '../dav/fs/resolve.js';
import { removeQuietly, tempPathNear } from '../dav/fs/temp-files.js';
import { segmentsOf } from '../dav/request-path.js';
import type { DavState } from '../dav/state/dav-state.js';
import type { FilesContext } from './context.js';
import { requireUnlocked } from './upload-dav-state.js';
import { partPath, readUpload, removeUpload, type UploadRecord } from './upload-state.js';

/**
 * Puts `from` at `destination`: with `exclusive`, link() (which fails if the name exists, atomically, unlike a
 * check followed by rename()); otherwise rename() over whatever is there. Throws EXDEV across filesystems.
 */
async function settle(from: string, destination: string, exclusive: boolean): Promise<void> {
  if (!exclusive) {
    await rename(from, destination);
    return;
  }
  try {
    await link(from, destination);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST')
      throw new DavError('precondition_failed', 'A file of that name appeared meanwhile');
    throw error;
  }
  await unlink(from);
}

/** Moves the finished part of `record` into the export and forgets the upload; returns the new file's ETag. */
export async function placeUpload(
  ctx: FilesContext,
  parts: string,
  record: UploadRecord,
  dav: { state: DavState; now: number } | undefined,
): Promise<{ etag: string }> {
  // Cancelled (DELETE) while the last bytes were written: there is nothing to place.
  if ((await readUpload(parts, record.id)) === undefined)
    throw new DavError('not_found', 'The upload was cancelled');
  const target = await ctx.exportRoot.resolve([...segmentsOf(record.dir), record.name]);
  try {
    if (target.kind === 'orphan') throw new DavError('conflict', 'The folder of this upload is gone');
    if (target.kind === 'found' && !target.stats.isFile())
      throw new DavError('conflict', `"${record.name}" is now a folder`);
    if (target.kind === 'found' && record.exclusive)
      throw new DavError('precondition_failed', `"${record.name}" already exists`);
  } catch (error) {
    // The upload can never finish: free its part now rather than in a day.
    await removeUpload(parts, record.id);
    throw error;
  }
  // Kept on a lock: once the WebDAV client lets go, an empty PATCH at the full offset places the file.
  if (dav !== undefined) requireUnlocked(dav.state, ctx.exportRoot.real, target, dav.now);
  // Over an existing file (through a symlink too) the real file is replaced; a new file goes at the entry.
  const destination = target.kind === 'found' ? target.targetPath : target.entryPath;
  const part = partPath(parts, record.id);
  // Keep the permissions of the file being replaced (a 0600 file must not become world-readable).
  if (target.kind === 'found') await chmod(part, target.stats.mode & 0o7777);
  try {
    await settle(part, destination, record.exclusive);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') {
      if (error instanceof DavError) await removeUpload(parts, record.id);
      throw error;
    }
    // Another filesystem: copy beside the target (copy_file_range, no bytes through JavaScript), then settle.
    const temp = tempPathNear(destination);
    try {
      await copyFile(part, temp, constants.COPYFILE_EXCL);
      if (target.kind === 'found') await chmod(temp, target.stats.mode & 0o7777);
      await settle(temp, destination, record.exclusive);
    } catch (copyError) {
      await removeQuietly(temp, ctx.log);
      if (copyError instanceof DavError) await removeUpload(parts, record.id);
      throw copyError;
    }
  }
  await removeUpload(parts, record.id);
  // A new file must not inherit dead properties left by a file deleted outside WebDAV (as PUT does).
  if (dav !== undefined && target.kind === 'missing')
    dav.state.props.removeTree(ctx.exportRoot.real, target.key);
  return { etag: etagOf(await stat(destination)) };
}
