// The small HTML page a GET on a collection returns: Finder needs a 200 there, and a browser gets a usable index.
// A large folder's page is streamed in batches, following the client's pace, as PROPFIND Depth 1 is.

import type { Dirent } from 'node:fs';
import { LISTING_CSP } from '../content-headers.js';
import type { DavRequest } from '../context.js';
import { memberStatter, readMembers } from '../fs/list-members.js';
import { createExportRoot, type Found } from '../fs/resolve.js';
import { checkHttpConditions } from '../http-conditions.js';
import { hrefOf } from '../request-path.js';
import { batchesOf, streamBatches } from '../stream-batches.js';
import { escapeAttr, escapeText } from '../xml/write.js';

/** Rows stated and written at a time: about 100 KB of HTML per batch. */
const ROWS_PER_BATCH = 1024;

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': LISTING_CSP,
  'X-Content-Type-Options': 'nosniff',
};

/**
 * Folders first, then by name. The order comes from readdir's file types, before any stat, so a page can be
 * sent before every member is stated: a symlink to a folder sorts among the files (it still ends in '/').
 */
function byFolderThenName(a: Dirent, b: Dirent): number {
  const aFolder = a.isDirectory();
  if (aFolder !== b.isDirectory()) return aFolder ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export async function sendListing(r: DavRequest, folder: Found, head: boolean): Promise<void> {
  const { res } = r;
  if (checkHttpConditions(r.req, folder.stats, true) === 'not_modified') {
    res.writeHead(304);
    res.end();
    return;
  }
  if (head) {
    // The length of the page would take listing the folder; HEAD answers without it.
    res.writeHead(200, HEADERS);
    res.end();
    return;
  }
  // The members PROPFIND shows, no more: temp files and symlinks leading outside the export stay hidden.
  const entries = (await readMembers(folder.targetPath)).sort(byFolderThenName);
  const title = escapeText(r.path.segments.length === 0 ? '/' : `/${r.path.segments.join('/')}/`);
  // Members' hrefs are the folder's (encoded and escaped once) plus their encoded name, which holds no
  // character an attribute must escape.
  const folderHref = escapeAttr(hrefOf(r.scope.prefix, r.path.segments, true));
  const reach = r.scope.containedIn === undefined ? r.ctx.root : createExportRoot(r.scope.containedIn);
  const statter = memberStatter(reach, folder.targetPath);
  const renderRows = async (batch: readonly Dirent[]): Promise<string> => {
    let rows = '';
    for (const member of await statter.stat(batch)) {
      const isFolder = member.stats.isDirectory();
      const href = `${folderHref}${encodeURIComponent(member.name)}${isFolder ? '/' : ''}`;
      rows += `<li><a href="${href}">${escapeText(member.name)}${isFolder ? '/' : ''}</a></li>`;
    }
    return rows;
  };
  const up = r.path.segments.length > 0 ? '<li><a href="../">../</a></li>' : '';
  const start = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>${up}`;
  const end = '</ul></body></html>\n';
  if (entries.length <= ROWS_PER_BATCH) {
    const html = start + (await renderRows(entries)) + end;
    res.writeHead(200, { ...HEADERS, 'Content-Length': String(Buffer.byteLength(html)) });
    res.end(html);
    return;
  }
  await streamBatches(res, {
    status: 200,
    headers: HEADERS,
    head: start,
    next: batchesOf(entries, ROWS_PER_BATCH, renderRows),
    tail: end,
  });
}
