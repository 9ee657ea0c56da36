// `GET <folder>/?list`: the folder's members as JSON for the files page — name, kind, size, modified, type —
// streamed a batch at a time (names and stats of one batch in memory, whatever the folder's size), unsorted.

import type { Stats } from 'node:fs';
import { contentTypeOf } from '../dav/content-type.js';
import { DavError } from '../dav/errors.js';
import { listMembers } from '../dav/fs/list-members.js';
import { createExportRoot } from '../dav/fs/resolve.js';
import { fastIsoDate, YEAR_10000_MS } from '../dav/props/dates.js';
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

/** Characters JSON.stringify would escape (quotes, backslash, controls, lone surrogates among the pairs). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters JSON escapes are what it finds.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** A name as a JSON string: most need no escaping, and quoting them is a fraction of JSON.stringify's cost. */
const jsonString = (text: string) => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

/** Content types as JSON strings, made once each (a listing has a handful). */
const quotedTypes = new Map<string, string>();
function quotedTypeOf(name: string): string {
  const type = contentTypeOf(name);
  let quoted = quotedTypes.get(type);
  if (quoted === undefined) {
    quoted = JSON.stringify(type);
    quotedTypes.set(type, quoted);
  }
  return quoted;
}

/**
 * `Date#toISOString` of a modification time, without a Date for each member: the second from the
 * listing's shared formatter, the milliseconds appended (a tenth of the cost for a 10,000-file folder).
 */
export function modifiedIso(ms: number): string {
  const whole = Math.floor(ms);
  if (!(whole >= 0 && whole < YEAR_10000_MS)) return new Date(ms).toISOString();
  const fraction = whole % 1000;
  return `${fastIsoDate(whole).slice(0, 19)}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}Z`;
}

/** One member's JSON (the same text as JSON.stringify of the object, keys in this order). */
export function entryJson(name: string, stats: Stats): string | undefined {
  const modified = modifiedIso(stats.mtimeMs);
  if (stats.isDirectory())
    return `{"name":${jsonString(name)},"kind":"folder","size":0,"modified":"${modified}"}`;
  // FIFOs, sockets and devices are not files a browser can open: not listed.
  if (!stats.isFile()) return undefined;
  return `{"name":${jsonString(name)},"kind":"file","size":${stats.size},"modified":"${modified}","type":${quotedTypeOf(name)}}`;
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
