// The small HTML page a GET on a collection returns: Finder needs a 200 there, and a browser gets a usable index.

import { LISTING_CSP } from '../content-headers.js';
import type { DavRequest } from '../context.js';
import { listMembers } from '../fs/list-members.js';
import type { Found } from '../fs/resolve.js';
import { checkHttpConditions } from '../http-conditions.js';
import { hrefOf } from '../request-path.js';
import { escapeAttr, escapeText } from '../xml/write.js';

export async function sendListing(r: DavRequest, folder: Found, head: boolean): Promise<void> {
  const { res } = r;
  if (checkHttpConditions(r.req, folder.stats, true) === 'not_modified') {
    res.writeHead(304);
    res.end();
    return;
  }
  // The members PROPFIND shows, no more: temp files and symlinks leading outside the export stay hidden.
  const members = await listMembers(r.ctx.root, folder.targetPath);
  const names = members
    .map((member) => ({ name: member.name, folder: member.stats.isDirectory() }))
    .sort((a, b) => (a.folder === b.folder ? (a.name < b.name ? -1 : 1) : a.folder ? -1 : 1));
  const title = escapeText(r.path.segments.length === 0 ? '/' : `/${r.path.segments.join('/')}/`);
  const rows = names.map(({ name, folder: isFolder }) => {
    const href = hrefOf(r.scope.prefix, [...r.path.segments, name], isFolder);
    return `<li><a href="${escapeAttr(href)}">${escapeText(name)}${isFolder ? '/' : ''}</a></li>`;
  });
  const up = r.path.segments.length > 0 ? '<li><a href="../">../</a></li>' : '';
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>${up}${rows.join('')}</ul></body></html>\n`;
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': LISTING_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : html);
}
