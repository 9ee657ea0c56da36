// Turns a request target (or a Destination / If header URL) into the decoded path segments inside an export,
// refusing anything that could name a file outside it, and turns segments back into hrefs.

import { DavError } from './errors.js';

/** A path inside an export, as decoded path segments ([] for the export root). */
export interface DavPath {
  readonly segments: readonly string[];
  /** The URL ended with '/' (the client means a collection). */
  readonly trailingSlash: boolean;
}

/** Name prefix of in-flight PUT/COPY temp files: hidden from listings and never reachable by URL. */
export const TEMP_PREFIX = '.homeport-tmp-';

// A '%' not followed by two hex digits: decodeURIComponent would throw too, but a clear 400 says why.
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const ABSOLUTE_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;

function invalid(message: string): DavError {
  return new DavError('invalid_path', message);
}

/**
 * Decodes one segment exactly once. Decoding once is the whole defence against double encoding: `%252e%252e`
 * becomes the literal name `%2e%2e`, never `..`. decodeURIComponent rejects malformed UTF-8, which includes
 * overlong forms such as `%c0%ae` (an old way to smuggle a '.').
 */
function decodeSegment(raw: string): string {
  if (BAD_ESCAPE.test(raw)) throw invalid(`Invalid percent-encoding in path segment "${raw}"`);
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch (error) {
    throw new DavError('invalid_path', `Path segment "${raw}" is not valid UTF-8 once decoded`, {
      cause: error,
    });
  }
  if (segment === '.' || segment === '..') throw invalid('Path segments "." and ".." are not allowed');
  // '/' and '\' inside a segment (from %2f, %5c or a raw backslash) would be a separator to the filesystem or to
  // a Windows client; NUL would truncate the name in the kernel.
  if (segment.includes('/') || segment.includes('\\') || segment.includes('\0')) {
    throw invalid('Path segments may not contain "/", "\\" or NUL, encoded or not');
  }
  if (segment.startsWith(TEMP_PREFIX)) throw new DavError('not_found', 'No such resource');
  return segment;
}

/** Splits the path after `prefix` into decoded segments; `path` is the raw path part of a URL (no query). */
function pathInside(path: string, prefix: string): DavPath | undefined {
  if (path === prefix.slice(0, -1)) return { segments: [], trailingSlash: false };
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  const segments: string[] = [];
  // Empty segments ('a//b') are dropped: they name nothing on a POSIX filesystem, and a leading one must not
  // turn the rest into an absolute path.
  for (const raw of rest.split('/')) if (raw !== '') segments.push(decodeSegment(raw));
  return { segments, trailingSlash: rest === '' || rest.endsWith('/') };
}

/**
 * The path inside the export that a request target names. `target` is `req.url`: origin-form (`/dav/…`) or
 * absolute-form (`http://host/dav/…`, which HTTP/1.1 servers must accept). The query is ignored; a '#' is
 * refused, because a client that sends one (litmus `delete_fragment`) must not have `/coll/#frag` act on `/coll/`.
 */
export function parseRequestTarget(target: string, prefix: string): DavPath {
  if (target.includes('#')) throw invalid('A request target may not contain a fragment ("#")');
  const query = target.indexOf('?');
  let path = query === -1 ? target : target.slice(0, query);
  if (!path.startsWith('/')) {
    const match = ABSOLUTE_URL.exec(path);
    if (match === null) throw invalid('The request target is neither a path nor an absolute URL');
    path = match[3] === undefined || match[3] === '' ? '/' : match[3];
  }
  const inside = pathInside(path, prefix);
  if (inside === undefined) throw new DavError('not_found', 'The URL is not inside this export');
  return inside;
}

export type UrlPlace =
  | { kind: 'inside'; path: DavPath }
  /** Same server, but outside this export's prefix. */
  | { kind: 'elsewhere' }
  /** Another host named in an absolute URL. */
  | { kind: 'other_server' };

/**
 * Where a URL from a header (Destination, an If header resource tag) points: an absolute URL or an absolute
 * path. The authority must equal the request's Host (the scheme may differ: a TLS proxy sits in front).
 */
export function locateUrl(value: string, host: string | undefined, prefix: string): UrlPlace {
  let path: string;
  if (value.startsWith('/')) {
    path = value;
  } else {
    const match = ABSOLUTE_URL.exec(value);
    if (match === null) throw new DavError('bad_request', `Not an absolute URL or path: "${value}"`);
    const scheme = (match[1] ?? '').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https')
      throw new DavError('bad_request', `Unsupported scheme "${scheme}"`);
    const authority = (match[2] ?? '').replace(/^[^@]*@/, '').toLowerCase();
    if (host === undefined || authority !== host.toLowerCase()) return { kind: 'other_server' };
    path = match[3] === undefined || match[3] === '' ? '/' : match[3];
  }
  if (value.includes('#')) throw new DavError('bad_request', 'A URL in a header may not contain a fragment');
  const query = path.indexOf('?');
  if (query !== -1) path = path.slice(0, query);
  const inside = pathInside(path, prefix);
  return inside === undefined ? { kind: 'elsewhere' } : { kind: 'inside', path: inside };
}

/** The href of a resource: the export prefix plus each segment percent-encoded, '/' at the end of a collection. */
export function hrefOf(prefix: string, segments: readonly string[], collection: boolean): string {
  if (segments.length === 0) return prefix;
  let href = prefix;
  for (let i = 0; i < segments.length; i += 1) {
    if (i > 0) href += '/';
    href += encodeURIComponent(segments[i] ?? '');
  }
  return collection ? `${href}/` : href;
}

/** The state key ('/' or '/a/b') of a path inside an export. */
export function keyOf(segments: readonly string[]): string {
  return segments.length === 0 ? '/' : `/${segments.join('/')}`;
}

/** The segments of a state key (inverse of keyOf). */
export function segmentsOf(key: string): string[] {
  return key === '/' ? [] : key.slice(1).split('/');
}
