// `GET <folder>/?list`: the folder's members as JSON for the files page — name, kind, size, modified, type —
// streamed a batch at a time (names and stats of one batch in memory, whatever the folder's size), unsorted.

import type { Stats } from 'node:fs';
import { contentTypeOf } from '../dav/content-type.js';
import { DavError } from '../dav/errors.js';
import { listMembers } from '../dav/fs/list-members.js';
import { createExportRoot } from '../dav/fs/resolve.js';
import { streamBatches } from '../dav/stream-batches.js';
import type { FilesOperation } from './context.js';
import { realScopePath } from './scope.js';

/** Members stated and written at a time (as PROPFIND Depth 1): about 100 KB of JSON. */
const BATCH = 1024;
/** A folder with more members than this is cut (`"truncated": true`): the page could not show them anyway. */
export const MAX_LISTED = 200_000;

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function entryJson(name: string, stats: Stats): string | undefined {
  const modified = new Date(stats.mtimeMs).toISOString();
  if (stats.isDirectory())
    return `{"name":${JSON.stringify(name)},"kind":"folder","size":0,"modified":"${modified}"}`;
  // FIFOs, sockets and devices are not files a browser can open: not listed.
  if (!stats.isFile()) return undefined;
  return `{"name":${JSON.stringify(name)},"kind":"file","size":${stats.size},"modified":"${modified}","type":${JSON.stringify(contentTypeOf(name))}}`;
}

export const handleList: FilesOperation = async (_request, response, ctx) => {
  const folder = await ctx.exportRoot.resolve(ctx.segments);
  if (folder.kind !== 'found') throw new DavError('not_found', 'No such folder');
  if (!folder.stats.isDirectory()) throw new DavError('conflict', '?list needs a folder, this is a file');
  const scopeReal = ctx.claims.scope ? await realScopePath(ctx.root, ctx.claims.scope) : undefined;
  if (ctx.claims.scope && scopeReal === undefined) throw new DavError('not_found', 'The shared item is gone');
  // The members WebDAV shows, no more: temp files and symlinks leading outside the export stay hidden, and
  // for a share link those leading outside its item (elsewhere in the export: not the link's to show).
  const reach = scopeReal === undefined ? ctx.exportRoot : createExportRoot(scopeReal);
  const members = await listMembers(reach, folder.targetPath, BATCH);
  let listed = 0;
  let truncated = false;
  try {
    await streamBatches(response, {
      status: 200,
      headers: HEADERS,
      head: `{"path":${JSON.stringify(ctx.relativePath)},"entries":[`,
      next: async () => {
        if (truncated) return undefined;
        if (listed >= MAX_LISTED) {
          truncated = (await members.next()) !== undefined;
          return undefined;
        }
        const batch = await members.next();
        if (batch === undefined) return undefined;
        let text = '';
        for (const member of batch) {
          const entry = entryJson(member.name, member.stats);
          if (entry === undefined) continue;
          if (listed >= MAX_LISTED) {
            truncated = true;
            break;
          }
          text += listed === 0 ? entry : `,${entry}`;
          listed += 1;
        }
        return text;
      },
      // Read when the last batch was written: `truncated` is known by then.
      get tail() {
        return `],"truncated":${truncated}}`;
      },
    });
  } finally {
    await members.close();
  }
};
