// ?list renders each member's JSON by hand (issue 15: a fraction of JSON.stringify's and toISOString's cost);
// the text must stay exactly what JSON.stringify of the object and Date#toISOString give.

import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { contentTypeOf } from '../../src/agent/dav/content-type.js';
import { entryJson, modifiedIso } from '../../src/agent/files/list.js';

describe('?list entries', () => {
  it('formats modification times as toISOString does', () => {
    for (const ms of [
      0, 1, 999, 1000, 1_733_071_234_567, 1_733_071_234_567.987, 951_782_400_000, 4_102_444_799_999,
      253_402_300_799_999, 253_402_300_800_000, -1, -86_400_000.5,
    ])
      expect(modifiedIso(ms)).toBe(new Date(ms).toISOString());
  });

  it('gives the JSON.stringify text for every kind of name', () => {
    const dir = tempDir('homeport-list-json-');
    const names = [
      'plain.txt',
      'with "quotes".jpg',
      'back\\slash.pdf',
      'tab\there.md',
      'new\nline',
      'ünïcödé 写真.png',
      'emoji 📷.heic',
      'lone \ud800 surrogate',
      'line\u2028separator',
      '<script>.html',
    ];
    for (const name of names) writeFileSync(join(dir, name), 'x'.repeat(name.length));
    mkdirSync(join(dir, 'a "folder"'));
    for (const name of [...names, 'a "folder"']) {
      const stats = lstatSync(join(dir, name));
      const modified = new Date(stats.mtimeMs).toISOString();
      const expected = stats.isDirectory()
        ? { name, kind: 'folder', size: 0, modified }
        : { name, kind: 'file', size: stats.size, modified, type: contentTypeOf(name) };
      expect(entryJson(name, stats)).toBe(JSON.stringify(expected));
    }
  });
});
