// The shortcuts of PROPFIND's listing path give the text the plain way gives: hex digits of ETags, content types
// of neighbouring names, hrefs of names that need no encoding, and a batch encoded piece by piece; its stats
// move to the thread pool after a slow batch and back once batches are fast there, listing the same members.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import mime from 'mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeOf } from '../../src/agent/dav/content-type.js';
import { hexOf } from '../../src/agent/dav/etag.js';
import { listMembers, statMode } from '../../src/agent/dav/fs/list-members.js';
import { createExportRoot } from '../../src/agent/dav/fs/resolve.js';
import { batchBytes } from '../../src/agent/dav/stream-batches.js';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

describe('hexOf', () => {
  it("gives Number#toString(16)'s text for every integer up to 2^53 and hands anything else to it", () => {
    const samples = [0, -0, 1, 15, 16, 255, 256, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1];
    samples.push(Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 64, -1, -(2 ** 40), 1.5, Number.NaN, Infinity);
    let seed = 7;
    for (let i = 0; i < 20_000; i += 1) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      // Every magnitude from 1 bit to 53, as inodes, sizes and microsecond times have.
      samples.push(Math.floor((seed / 2 ** 31) * 2 ** (1 + (i % 53))));
    }
    for (const value of samples) expect(hexOf(value)).toBe(value.toString(16));
  });
});

describe('contentTypeOf', () => {
  /** What it gave before it remembered the last extension. */
  const plain = (name: string) => {
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || dot === name.length - 1) return 'application/octet-stream';
    return mime.getType(name.slice(dot + 1).toLowerCase()) ?? 'application/octet-stream';
  };

  it('gives the type of the extension whatever name came before', () => {
    const names = ['a.txt', 'b.txt', '.txt', 'txt', 'c.TXT', 'd.Txt', 'e.tar.gz', 'f.gz', 'g.', 'h..txt'];
    names.push('i.txt.jpg', 'j.jpg', 'k.jpg.txt', '.jpg', 'l.jpgx', 'x.jpg', 'été.JPG', 'noext', 'm.txt');
    // Each name after each other one, so every pair of neighbours is tried.
    for (const first of names) {
      for (const second of names) {
        expect(contentTypeOf(first)).toBe(plain(first));
        expect(contentTypeOf(second)).toBe(plain(second));
      }
    }
  });
});

describe('batchBytes', () => {
  it('gathers pieces into their UTF-8 bytes, growing past its first buffer, one batch after another', () => {
    const bytes = batchBytes(16);
    const pieces = ['<a>', 'é'.repeat(40), '🙂 x', 'ascii '.repeat(300), '\u4e2d\u6587', ''];
    for (let round = 0; round < 3; round += 1) {
      for (const piece of pieces) bytes.add(piece);
      expect(bytes.take().toString('utf8')).toBe(pieces.join(''));
    }
    expect(bytes.take()).toHaveLength(0);
  });
});

describe('PROPFIND Depth 1 hrefs and names', () => {
  let server: DavTestServer;
  // Names encodeURIComponent leaves alone and names it encodes, some that XML must escape, in a folder whose
  // own name is encoded too.
  const names = [
    "it's (1)~!*.txt",
    'plain_name-1.md',
    'a b.txt',
    'x&y<z>.txt',
    'été.txt',
    '🙂.png',
    '100%.txt',
  ];

  beforeAll(async () => {
    server = await startDavServer();
    const folder = join(server.root, 'a & b');
    mkdirSync(folder);
    for (const name of names) writeFileSync(join(folder, name), name);
    mkdirSync(join(folder, "sub'dir"));
  });
  afterAll(() => server.close());

  it('gives each member its encoded href and its escaped name', async () => {
    const response = await send(server, 'PROPFIND', `${PREFIX}a%20%26%20b/`, { Depth: '1' });
    expect(response.status).toBe(207);
    const escapeXml = (text: string) =>
      text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const folderHref = `${PREFIX}${encodeURIComponent('a & b')}/`;
    for (const name of names) {
      expect(response.text).toContain(
        `<D:response><D:href>${folderHref}${encodeURIComponent(name)}</D:href><D:propstat><D:prop><D:resourcetype/>`,
      );
      expect(response.text).toContain(`<D:displayname>${escapeXml(name)}</D:displayname>`);
    }
    expect(response.text).toContain(
      `<D:href>${folderHref}${encodeURIComponent("sub'dir")}/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/>`,
    );
  });
});

describe('where a listing takes its stats', () => {
  afterAll(() => removeTempDirs());

  it('moves to the thread pool after one slow batch, and back after a batch there within a quarter budget', () => {
    const mode = statMode(8);
    expect(mode.inline).toBe(true);
    mode.took(5);
    expect(mode.inline).toBe(true);
    mode.took(9);
    expect(mode.inline).toBe(false);
    // A slow disk stays slow in the pool: the listing stays there.
    mode.took(3);
    expect(mode.inline).toBe(false);
    mode.took(1.5);
    expect(mode.inline).toBe(true);
  });

  it('lists the same members with the same stats inline and in the thread pool', async () => {
    const root = tempDir('homeport-list-members-');
    const folder = join(root, 'many');
    mkdirSync(folder);
    for (let index = 0; index < 1_000; index += 1)
      writeFileSync(join(folder, `f-${index}.txt`), 'x'.repeat(index % 30));
    mkdirSync(join(folder, 'sub'));
    symlinkSync(join(folder, 'f-1.txt'), join(folder, 'link-inside.txt'));
    const outside = tempDir('homeport-list-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'no');
    symlinkSync(join(outside, 'secret.txt'), join(folder, 'link-outside.txt'));
    symlinkSync(join(folder, 'gone.txt'), join(folder, 'dangling.txt'));

    const listAll = async (inlineBudgetMs: number) => {
      const lister = await listMembers(createExportRoot(root), folder, 64, { inlineBudgetMs });
      const seen = new Map<string, string>();
      for (let batch = await lister.next(); batch !== undefined; batch = await lister.next())
        for (const member of batch)
          seen.set(member.name, `${member.stats.isDirectory()} ${member.stats.size} ${member.stats.ino}`);
      return seen;
    };
    const inline = await listAll(1_000_000);
    // A budget no batch can meet: the first batch is stated inline, every later one in the thread pool.
    const pooled = await listAll(-1);
    expect(inline.size).toBe(1_000 + 2);
    expect(inline.has('link-outside.txt')).toBe(false);
    expect(inline.has('dangling.txt')).toBe(false);
    expect([...pooled].sort()).toEqual([...inline].sort());
  });
});
