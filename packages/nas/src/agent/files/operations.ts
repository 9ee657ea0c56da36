// Which files-API operation a request asks for: selected by a query parameter on the mount URL (`?list`,
// `?upload=<id>`…); a request without one is plain WebDAV.

import { DavError } from '../dav/errors.js';

export type FilesOperationName = 'list' | 'watch' | 'download' | 'zip' | 'upload';

interface OperationRule {
  methods: ReadonlySet<string>;
  /** Changes the export: refused to a read-only credential (a file drop's own rules are in scope.ts). */
  writes: boolean;
}

const RULES: Readonly<Record<FilesOperationName, OperationRule>> = {
  list: { methods: new Set(['GET']), writes: false },
  watch: { methods: new Set(['GET']), writes: false },
  download: { methods: new Set(['GET', 'HEAD']), writes: false },
  zip: { methods: new Set(['GET']), writes: false },
  // HEAD asks an upload's offset; POST starts one, PATCH appends, DELETE cancels.
  upload: { methods: new Set(['POST', 'HEAD', 'PATCH', 'DELETE']), writes: true },
};

const NAMES = Object.keys(RULES) as FilesOperationName[]; // the keys of RULES, which is typed by the union

export interface SelectedOperation {
  name: FilesOperationName;
  writes: boolean;
}

/**
 * The operation the query names, or undefined for plain WebDAV. More than one, or a method the operation does
 * not take, is refused (405 with Allow) rather than guessed at.
 */
export function selectOperation(method: string, query: URLSearchParams): SelectedOperation | undefined {
  const named = NAMES.filter((name) => query.has(name));
  if (named.length === 0) return undefined;
  if (named.length > 1)
    throw new DavError('bad_request', `Ask for one of ?${named.join(', ?')} at a time, not several`);
  const name = named[0] as FilesOperationName; // length checked just above
  const rule = RULES[name];
  if (!rule.methods.has(method))
    throw new DavError('method_not_allowed', `?${name} takes ${[...rule.methods].join(', ')}`, {
      headers: { Allow: [...rule.methods].join(', ') },
    });
  // A POST always names an upload; the upload is only ever written as `?upload` (new) or `?upload=<id>`.
  return { name, writes: rule.writes && !(name === 'upload' && method === 'HEAD') };
}

/** The query of a request target (without `access_token`, taken out before). */
export function queryOf(url: string): URLSearchParams {
  const mark = url.indexOf('?');
  return new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
}
