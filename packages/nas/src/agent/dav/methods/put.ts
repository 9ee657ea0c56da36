// PUT: streams the body to a hidden temp file next to the target and renames it into place, so readers see
// the old file or the whole new one, never a partial upload.

import { chmod, rename, stat } from 'node:fs/promises';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { etagOf } from '../etag.js';
import { removeQuietly, tempPathNear, writeBodyToNewFile } from '../fs/temp-files.js';
import { checkHttpConditions } from '../http-conditions.js';
import { evaluateIf, requireLockTokens } from '../preconditions.js';
import { parentKey } from '../state/keys.js';

export async function handlePut(r: DavRequest): Promise<void> {
  const { req, res, ctx } = r;
  // RFC 9110 14.5: a partial PUT must be refused rather than stored as if it were the whole file.
  if (req.headers['content-range'] !== undefined) {
    throw new DavError('bad_request', 'PUT with Content-Range (a partial upload) is not supported');
  }
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind === 'orphan') throw new DavError('conflict', 'The parent collection does not exist');
  if (r.path.trailingSlash || (target.kind === 'found' && !target.stats.isFile())) {
    throw new DavError('method_not_allowed', 'PUT can only write a file; use MKCOL for a collection');
  }
  checkHttpConditions(req, target.kind === 'found' ? target.stats : undefined, false);
  const submitted = await evaluateIf(r, target);
  // Replacing a file changes only it; creating one also changes its parent's membership.
  const checks = [{ key: target.key }];
  if (target.kind === 'missing') checks.push({ key: parentKey(target.key) });
  requireLockTokens(r, submitted, checks);

  // Over an existing file (through a symlink too) the real file is replaced; a new file goes at the entry.
  const destination = target.kind === 'found' ? target.targetPath : target.entryPath;
  const temp = tempPathNear(destination);
  ctx.state.uploads.begin(temp);
  try {
    // 1 MiB writes made on the event loop while they are quick (see writeBodyToNewFile and bench/webdav).
    await writeBodyToNewFile(req, temp);
    // Keep the permissions of the file being replaced (a 0600 file must not become world-readable).
    if (target.kind === 'found') await chmod(temp, target.stats.mode & 0o7777);
    await rename(temp, destination);
  } catch (error) {
    await removeQuietly(temp, ctx.log);
    // The client hung up mid-upload: nothing is left behind and there is nobody to answer.
    if (req.destroyed && !req.complete) return;
    throw error;
  } finally {
    ctx.state.uploads.end(temp);
  }
  ctx.smallFiles.delete(r.path.segments.join('/'));
  // A new resource must not inherit dead properties left by a file deleted outside WebDAV.
  if (target.kind === 'missing') ctx.state.props.removeTree(ctx.root.real, target.key);
  const written = await stat(destination);
  res.writeHead(target.kind === 'found' ? 204 : 201, { ETag: etagOf(written), 'Content-Length': '0' });
  res.end();
}
