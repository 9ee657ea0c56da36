// Parses the WebDAV If header (RFC 4918 10.4): tagged or untagged lists of state-token and ETag conditions.

import { DavError } from './errors.js';

export interface IfCondition {
  not: boolean;
  kind: 'token' | 'etag';
  /** The lock token (without angle brackets), or the entity tag as sent (with its quotes, W/ included). */
  value: string;
}

export interface IfList {
  /** The Resource-Tag URL the list applies to; undefined for a No-tag-list (the request-URI). */
  resource: string | undefined;
  conditions: IfCondition[];
}

export interface IfHeader {
  lists: IfList[];
  /** Every state token that appears in the header: RFC 4918 10.4.1 counts them all as submitted. */
  tokens: Set<string>;
}

function syntax(detail: string): DavError {
  return new DavError('bad_request', `Malformed If header: ${detail}`);
}

/**
 * If = ( 1*No-tag-list ) | ( 1*Tagged-list ); Tagged-list = Resource-Tag 1*List;
 * List = "(" 1*Condition ")"; Condition = ["Not"] ( Coded-URL | "[" entity-tag "]" ).
 */
export function parseIfHeader(value: string): IfHeader {
  const lists: IfList[] = [];
  const tokens = new Set<string>();
  let i = 0;
  let tagged: boolean | undefined;
  let resource: string | undefined;
  let listsSinceTag = 0;

  const skipSpace = () => {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i += 1;
  };
  const readUntil = (close: string): string => {
    const end = value.indexOf(close, i);
    if (end === -1) throw syntax(`missing "${close}"`);
    const text = value.slice(i, end);
    i = end + 1;
    return text;
  };

  skipSpace();
  if (i === value.length) throw syntax('empty');
  while (i < value.length) {
    const c = value[i];
    if (c === '<') {
      if (tagged === false) throw syntax('a resource tag after untagged lists');
      if (tagged === true && listsSinceTag === 0) throw syntax('a resource tag without a list');
      tagged = true;
      i += 1;
      resource = readUntil('>');
      if (resource === '' || /\s/.test(resource)) throw syntax('an empty or spaced resource tag');
      listsSinceTag = 0;
    } else if (c === '(') {
      if (tagged === undefined) tagged = false;
      i += 1;
      const conditions: IfCondition[] = [];
      for (;;) {
        skipSpace();
        if (value[i] === ')') {
          i += 1;
          break;
        }
        let not = false;
        if (value.slice(i, i + 3).toLowerCase() === 'not') {
          not = true;
          i += 3;
          skipSpace();
        }
        if (value[i] === '<') {
          i += 1;
          const token = readUntil('>');
          if (token === '' || /\s/.test(token)) throw syntax('an empty or spaced state token');
          tokens.add(token);
          conditions.push({ not, kind: 'token', value: token });
        } else if (value[i] === '[') {
          i += 1;
          const etag = readUntil(']').trim();
          if (!/^(W\/)?"[^"]*"$/.test(etag)) throw syntax(`"${etag}" is not an entity tag`);
          conditions.push({ not, kind: 'etag', value: etag });
        } else {
          throw syntax(i >= value.length ? 'unterminated list' : `unexpected "${value[i]}"`);
        }
      }
      if (conditions.length === 0) throw syntax('an empty list');
      lists.push({ resource: tagged ? resource : undefined, conditions });
      listsSinceTag += 1;
    } else {
      throw syntax(`unexpected "${c}"`);
    }
    skipSpace();
  }
  if (tagged === true && listsSinceTag === 0) throw syntax('a resource tag without a list');
  return { lists, tokens };
}
