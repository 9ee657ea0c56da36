// The `?access_token=` form of a browser credential, for what a page cannot add a header to (links, <img>,
// <video>, downloads): taken out of the URL before anything else sees it (routing, handlers, logs).

import type { IncomingMessage } from 'node:http';

export type QueryToken =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  /** Given twice, or empty: never guess which one was meant. */
  | { kind: 'malformed' };

const PARAMETER = 'access_token';

/**
 * Removes every `access_token` parameter from `request.url` (the rest of the query is kept as sent) and
 * returns the token. Runs first on every request, so no later log line or error can print it.
 */
export function takeQueryToken(request: IncomingMessage): QueryToken {
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  if (mark === -1 || !url.includes(PARAMETER, mark)) return { kind: 'none' };
  const kept: string[] = [];
  const found: string[] = [];
  for (const pair of url.slice(mark + 1).split('&')) {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    if (name === PARAMETER) found.push(equals === -1 ? '' : pair.slice(equals + 1));
    else kept.push(pair);
  }
  request.url = kept.length === 0 ? url.slice(0, mark) : `${url.slice(0, mark)}?${kept.join('&')}`;
  if (found.length === 0) return { kind: 'none' };
  let token: string;
  try {
    token = decodeURIComponent((found[0] ?? '').replace(/\+/g, ' '));
  } catch {
    return { kind: 'malformed' }; // a broken %-escape: no credential of ours has one
  }
  return found.length === 1 && token !== '' ? { kind: 'token', token } : { kind: 'malformed' };
}
