// GET and HEAD: Range, conditional requests, streamed large files, the small-file cache, and collections.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

const SMALL = Buffer.from('0123456789abcdefghij');
const LARGE = randomBytes(3 * 1024 * 1024 + 17);
let server: DavTestServer;
// The small-file cache only keeps files untouched for 2 s; a clock 10 s ahead makes fresh files cacheable.
let clockOffset = 0;

beforeAll(async () => {
  server = await startDavServer({ handler: { clock: () => Date.now() + clockOffset } });
  writeFileSync(join(server.root, 'small.txt'), SMALL);
  writeFileSync(join(server.root, 'large.bin'), LARGE);
  writeFileSync(join(server.root, 'photo.jpg'), 'not really a jpeg');
  mkdirSync(join(server.root, 'folder'));
  writeFileSync(join(server.root, 'folder', 'a <b> & "c".txt'), 'x');
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

describe('GET of a file', () => {
  it('answers 200 with validators, type and length', async () => {
    const response = await send(server, 'GET', `${PREFIX}small.txt`);
    expect(response.status).toBe(200);
    expect(response.body.equals(SMALL)).toBe(true);
    expect(response.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(response.headers['last-modified']).toMatch(/GMT$/);
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.headers['content-length']).toBe(String(SMALL.length));
    expect((await send(server, 'GET', `${PREFIX}photo.jpg`)).headers['content-type']).toBe('image/jpeg');
  });

  it('streams a file larger than the small-file threshold intact', async () => {
    const response = await send(server, 'GET', `${PREFIX}large.bin`);
    expect(response.status).toBe(200);
    expect(response.body.equals(LARGE)).toBe(true);
  });

  it('closes the file when the client leaves mid-download', async () => {
    const openDescriptors = () => readdirSync('/proc/self/fd').length;
    const before = openDescriptors();
    for (let i = 0; i < 5; i += 1) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(`GET ${PREFIX}large.bin HTTP/1.1\r\nHost: x\r\n\r\n`);
        });
        let received = 0;
        socket.on('data', (data) => {
          received += data.length;
          if (received > 100_000) {
            socket.destroy();
            resolve();
          }
        });
        socket.on('error', reject);
      });
    }
    // The server notices each hang-up on its next write; give it a moment, then nothing may be left open.
    const deadline = Date.now() + 3000;
    while (openDescriptors() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openDescriptors()).toBeLessThanOrEqual(before);
    expect((await send(server, 'GET', `${PREFIX}small.txt`)).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await send(server, 'HEAD', `${PREFIX}large.bin`);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(LARGE.length));
    expect(response.body.length).toBe(0);
  });

  it('answers 404 for a missing file and for a file addressed with a trailing slash', async () => {
    expect((await send(server, 'GET', `${PREFIX}missing.txt`)).status).toBe(404);
    expect((await send(server, 'GET', `${PREFIX}small.txt/`)).status).toBe(404);
  });
});

describe('Range', () => {
  const ranges: [string, string, number, number][] = [
    ['a closed range', 'bytes=2-5', 2, 5],
    ['an open range', 'bytes=15-', 15, SMALL.length - 1],
    ['a suffix range', 'bytes=-4', SMALL.length - 4, SMALL.length - 1],
    ['a range past the end (clamped)', 'bytes=18-1000', 18, SMALL.length - 1],
    ['a suffix longer than the file', 'bytes=-1000', 0, SMALL.length - 1],
  ];
  for (const [name, range, start, end] of ranges) {
    it(`answers 206 to ${name} (${range})`, async () => {
      const response = await send(server, 'GET', `${PREFIX}small.txt`, { Range: range });
      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${SMALL.length}`);
      expect(response.body.equals(SMALL.subarray(start, end + 1))).toBe(true);
    });
  }

  it('serves a range from the middle of a large file', async () => {
    const start = 1024 * 1024 - 3;
    const end = 2 * 1024 * 1024 + 5;
    const response = await send(server, 'GET', `${PREFIX}large.bin`, { Range: `bytes=${start}-${end}` });
    expect(response.status).toBe(206);
    expect(response.body.equals(LARGE.subarray(start, end + 1))).toBe(true);
  });

  it('answers 416 with Content-Range */size when the range starts past the end', async () => {
    const response = await send(server, 'GET', `${PREFIX}small.txt`, { Range: `bytes=${SMALL.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${SMALL.length}`);
  });

  it('sends the whole file for several ranges or a malformed one', async () => {
    for (const range of ['bytes=0-1,4-5', 'bytes=abc', 'items=0-1', 'bytes=5-2']) {
      const response = await send(server, 'GET', `${PREFIX}small.txt`, { Range: range });
      expect(response.status, range).toBe(200);
      expect(response.body.equals(SMALL)).toBe(true);
    }
  });

  it('honours If-Range only while the ETag matches', async () => {
    const etag = header((await send(server, 'HEAD', `${PREFIX}small.txt`)).headers.etag) ?? '';
    const matching = await send(server, 'GET', `${PREFIX}small.txt`, {
      Range: 'bytes=0-0',
      'If-Range': etag,
    });
    expect(matching.status).toBe(206);
    const stale = await send(server, 'GET', `${PREFIX}small.txt`, {
      Range: 'bytes=0-0',
      'If-Range': '"stale"',
    });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(SMALL)).toBe(true);
  });

  it('ignores Range on HEAD', async () => {
    const response = await send(server, 'HEAD', `${PREFIX}small.txt`, { Range: 'bytes=0-1' });
    expect(response.status).toBe(200);
  });
});

describe('conditional GET', () => {
  it('answers 304 to a matching If-None-Match, and to *', async () => {
    const etag = header((await send(server, 'HEAD', `${PREFIX}small.txt`)).headers.etag) ?? '';
    for (const value of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
      const response = await send(server, 'GET', `${PREFIX}small.txt`, { 'If-None-Match': value });
      expect(response.status, value).toBe(304);
      expect(response.body.length).toBe(0);
    }
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-None-Match': '"other"' })).status).toBe(
      200,
    );
  });

  it('answers 304 to If-Modified-Since at or after the mtime, 200 before it', async () => {
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const past = new Date(Date.now() - 3_600_000 * 24).toUTCString();
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-Modified-Since': future })).status).toBe(
      304,
    );
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-Modified-Since': past })).status).toBe(200);
    // If-None-Match takes precedence over If-Modified-Since.
    const both = await send(server, 'GET', `${PREFIX}small.txt`, {
      'If-Modified-Since': future,
      'If-None-Match': '"other"',
    });
    expect(both.status).toBe(200);
  });

  it('answers 412 to a failing If-Match or If-Unmodified-Since', async () => {
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-Match': '"other"' })).status).toBe(412);
    const past = new Date(Date.now() - 3_600_000 * 24).toUTCString();
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-Unmodified-Since': past })).status).toBe(
      412,
    );
    const etag = header((await send(server, 'HEAD', `${PREFIX}small.txt`)).headers.etag) ?? '';
    expect((await send(server, 'GET', `${PREFIX}small.txt`, { 'If-Match': etag })).status).toBe(200);
  });
});

describe('small-file cache', () => {
  it('serves new bytes after the file changes on disk, even with the same size', async () => {
    clockOffset = 10_000;
    const path = join(server.root, 'cached.txt');
    writeFileSync(path, 'version-1');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect((await send(server, 'GET', `${PREFIX}cached.txt`)).text).toBe('version-1');
    expect((await send(server, 'GET', `${PREFIX}cached.txt`)).text).toBe('version-1');
    writeFileSync(path, 'version-2');
    utimesSync(path, old, old);
    expect((await send(server, 'GET', `${PREFIX}cached.txt`)).text).toBe('version-2');
    clockOffset = 0;
  });
});

describe('GET of a collection', () => {
  it('answers 200 with an HTML listing (Finder needs it)', async () => {
    const response = await send(server, 'GET', `${PREFIX}folder/`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.text).toContain(`href="${PREFIX}folder/a%20%3Cb%3E%20%26%20%22c%22.txt"`);
    expect(response.text).toContain('a &lt;b&gt; &amp; "c".txt');
  });

  it('answers 200 for the export root with and without its trailing slash, and for HEAD', async () => {
    expect((await send(server, 'GET', PREFIX)).status).toBe(200);
    expect((await send(server, 'GET', PREFIX.slice(0, -1))).status).toBe(200);
    const head = await send(server, 'HEAD', `${PREFIX}folder`);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });
});
