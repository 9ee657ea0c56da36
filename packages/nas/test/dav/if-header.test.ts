// The If header grammar (RFC 4918 10.4): tagged and untagged lists, Not, state tokens and entity tags.

import { describe, expect, it } from 'vitest';
import { parseIfHeader } from '../../src/agent/dav/if-header.js';

describe('parseIfHeader', () => {
  it('parses untagged lists with tokens, ETags and Not', () => {
    const parsed = parseIfHeader('(<urn:uuid:a> ["etag-1"]) (Not <DAV:no-lock> [W/"weak"])');
    expect(parsed.lists).toEqual([
      {
        resource: undefined,
        conditions: [
          { not: false, kind: 'token', value: 'urn:uuid:a' },
          { not: false, kind: 'etag', value: '"etag-1"' },
        ],
      },
      {
        resource: undefined,
        conditions: [
          { not: true, kind: 'token', value: 'DAV:no-lock' },
          // Not binds to one condition, not to the rest of the list.
          { not: false, kind: 'etag', value: 'W/"weak"' },
        ],
      },
    ]);
    expect([...parsed.tokens]).toEqual(['urn:uuid:a', 'DAV:no-lock']);
  });

  it('parses tagged lists, several per tag', () => {
    const parsed = parseIfHeader('<http://h/a> (<urn:uuid:1>) (["x"]) </b> (not <urn:uuid:2>)');
    expect(parsed.lists.map((list) => list.resource)).toEqual(['http://h/a', 'http://h/a', '/b']);
    expect(parsed.lists[2]?.conditions).toEqual([{ not: true, kind: 'token', value: 'urn:uuid:2' }]);
  });

  it('accepts tabs and no spaces between lists', () => {
    expect(parseIfHeader('(<a>)\t(<b>)(<c>)').lists).toHaveLength(3);
  });

  const malformed = [
    '',
    '   ',
    '(',
    '()',
    '(<a>',
    '(<>)',
    '(<a b>)',
    '([unquoted])',
    '(<a>) <http://h/tag> (<b>)',
    '<http://h/tag>',
    '<http://h/a> <http://h/b> (<c>)',
    '(Nothing)',
    'x (<a>)',
  ];
  for (const value of malformed) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      expect(() => parseIfHeader(value)).toThrow(/If header/);
    });
  }
});
