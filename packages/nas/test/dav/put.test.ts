// PUT: created vs replaced, refusals, and atomicity: an aborted upload leaves neither a partial file nor a temp file.

import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

let server: DavTestServer;

beforeAll(async () => {
  server = await startDavServer();
  mkdirSync(join(server.root, 'folder'));
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

/** Sends the headers of a PUT announcing `announced` bytes, then `sent` bytes, then cuts the connection. */
function abortedUpload(path: string, announced: number, sent: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${announced}\r\n\r\n`);
      socket.write(Buffer.alloc(sent, 0x61), () => {
        // Let the server start writing the temp file before the connection goes away.
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    socket.on('error', reject);
  });
}

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PUT', () => {
  it('answers 201 for a new file and 204 when replacing one, with the ETag GET will report', async () => {
    const created = await send(server, 'PUT', `${PREFIX}new.txt`, {}, 'first');
    expect(created.status).toBe(201);
    const replaced = await send(server, 'PUT', `${PREFIX}new.txt`, {}, 'second version');
    expect(replaced.status).toBe(204);
    expect(readFileSync(join(server.root, 'new.txt'), 'utf8')).toBe('second version');
    const get = await send(server, 'GET', `${PREFIX}new.txt`);
    expect(replaced.headers.etag).toBe(get.headers.etag);
  });

  it('writes an empty body as an empty file', async () => {
    expect((await send(server, 'PUT', `${PREFIX}empty.txt`, {}, '')).status).toBe(201);
    expect(statSync(join(server.root, 'empty.txt')).size).toBe(0);
  });

  it('accepts a chunked body', async () => {
    const response = await send(
      server,
      'PUT',
      `${PREFIX}chunked.txt`,
      { 'Transfer-Encoding': 'chunked' },
      'chunks',
    );
    expect(response.status).toBe(201);
    expect(readFileSync(join(server.root, 'chunked.txt'), 'utf8')).toBe('chunks');
  });

  it('answers 409 when the parent collection is missing', async () => {
    expect((await send(server, 'PUT', `${PREFIX}no/such/parent.txt`, {}, 'x')).status).toBe(409);
  });

  it('answers 405 on a collection', async () => {
    expect((await send(server, 'PUT', `${PREFIX}folder`, {}, 'x')).status).toBe(405);
    expect((await send(server, 'PUT', `${PREFIX}folder/`, {}, 'x')).status).toBe(405);
  });

  it('refuses a partial PUT (Content-Range) with 400', async () => {
    const response = await send(server, 'PUT', `${PREFIX}new.txt`, { 'Content-Range': 'bytes 0-0/10' }, 'x');
    expect(response.status).toBe(400);
  });

  it('honours If-None-Match: * (create only) and If-Match', async () => {
    expect((await send(server, 'PUT', `${PREFIX}new.txt`, { 'If-None-Match': '*' }, 'x')).status).toBe(412);
    expect((await send(server, 'PUT', `${PREFIX}only-new.txt`, { 'If-None-Match': '*' }, 'x')).status).toBe(
      201,
    );
    expect((await send(server, 'PUT', `${PREFIX}new.txt`, { 'If-Match': '"stale"' }, 'x')).status).toBe(412);
    expect((await send(server, 'PUT', `${PREFIX}missing.txt`, { 'If-Match': '*' }, 'x')).status).toBe(412);
  });

  it('keeps the permissions of the file it replaces', async () => {
    const path = join(server.root, 'private.txt');
    writeFileSync(path, 'secret');
    chmodSync(path, 0o600);
    expect((await send(server, 'PUT', `${PREFIX}private.txt`, {}, 'still secret')).status).toBe(204);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('leaves no file and no temp file when a new upload is cut off', async () => {
    await abortedUpload(`${PREFIX}folder/aborted.bin`, 10_000_000, 200_000);
    // The temp file is removed once the server notices the abort.
    await eventually(() => readdirSync(join(server.root, 'folder')).length === 0);
    expect(readdirSync(join(server.root, 'folder'))).toEqual([]);
  });

  it('keeps the old content when an upload replacing it is cut off', async () => {
    writeFileSync(join(server.root, 'folder', 'kept.txt'), 'original');
    await abortedUpload(`${PREFIX}folder/kept.txt`, 5_000_000, 100_000);
    await eventually(() => readdirSync(join(server.root, 'folder')).length === 1);
    expect(readdirSync(join(server.root, 'folder'))).toEqual(['kept.txt']);
    expect(readFileSync(join(server.root, 'folder', 'kept.txt'), 'utf8')).toBe('original');
  });

  it('hides an in-flight upload from listings and URLs', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`PUT ${PREFIX}folder/in-flight.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n`);
    socket.write(Buffer.alloc(1000, 0x62));
    await eventually(() =>
      readdirSync(join(server.root, 'folder')).some((name) => name.startsWith('.homeport-tmp-')),
    );
    const temp =
      readdirSync(join(server.root, 'folder')).find((name) => name.startsWith('.homeport-tmp-')) ?? '';
    const listing = await send(server, 'PROPFIND', `${PREFIX}folder/`, { Depth: '1' });
    expect(listing.text).not.toContain('.homeport-tmp-');
    expect(listing.text).not.toContain('in-flight.bin');
    expect((await send(server, 'GET', `${PREFIX}folder/${temp}`)).status).toBe(404);
    socket.destroy();
    await eventually(
      () => !readdirSync(join(server.root, 'folder')).some((name) => name.startsWith('.homeport-')),
    );
  });
});
