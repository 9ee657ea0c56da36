// COPY, MOVE, MKCOL and DELETE: Destination forms, Overwrite, Depth, status codes, and what lands on disk.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

let server: DavTestServer;
let n = 0;
let dir: string;

beforeAll(async () => {
  server = await startDavServer();
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

// Each test works in its own folder `t<n>/` holding file.txt and tree/{one.txt, sub/two.txt}.
beforeEach(() => {
  n += 1;
  dir = `t${n}`;
  const base = join(server.root, dir);
  mkdirSync(join(base, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(base, 'file.txt'), 'file');
  writeFileSync(join(base, 'other.txt'), 'other');
  writeFileSync(join(base, 'tree', 'one.txt'), 'one');
  writeFileSync(join(base, 'tree', 'sub', 'two.txt'), 'two');
});

const url = (path: string) => `${PREFIX}${dir}/${path}`;
const onDisk = (path: string) => join(server.root, dir, path);
const copy = (from: string, to: string, headers: Record<string, string> = {}) =>
  send(server, 'COPY', url(from), { Destination: url(to), ...headers });
const move = (from: string, to: string, headers: Record<string, string> = {}) =>
  send(server, 'MOVE', url(from), { Destination: url(to), ...headers });

describe('COPY', () => {
  it('answers 201 for a new destination and 204 when overwriting', async () => {
    expect((await copy('file.txt', 'copy.txt')).status).toBe(201);
    expect((await copy('file.txt', 'other.txt')).status).toBe(204);
    expect(readFileSync(onDisk('other.txt'), 'utf8')).toBe('file');
  });

  it('accepts the Destination as an absolute URL on the same host', async () => {
    const response = await send(server, 'COPY', url('file.txt'), {
      Destination: `http://127.0.0.1:${server.port}${url('abs.txt')}`,
    });
    expect(response.status).toBe(201);
  });

  it('answers 502 for a Destination on another server', async () => {
    const response = await send(server, 'COPY', url('file.txt'), {
      Destination: `http://elsewhere.example${url('x')}`,
    });
    expect(response.status).toBe(502);
  });

  it('answers 412 when the destination exists and Overwrite is F', async () => {
    expect((await copy('file.txt', 'other.txt', { Overwrite: 'F' })).status).toBe(412);
    expect(readFileSync(onDisk('other.txt'), 'utf8')).toBe('other');
  });

  it('answers 409 when the destination parent is missing', async () => {
    expect((await copy('file.txt', 'missing/copy.txt')).status).toBe(409);
  });

  it('copies a whole tree with Depth infinity and only the folder with Depth 0', async () => {
    expect((await copy('tree/', 'deep/')).status).toBe(201);
    expect(readFileSync(onDisk('deep/sub/two.txt'), 'utf8')).toBe('two');
    expect((await copy('tree/', 'shallow/', { Depth: '0' })).status).toBe(201);
    expect(readdirSync(onDisk('shallow'))).toEqual([]);
    expect((await copy('tree/', 'bad/', { Depth: '1' })).status).toBe(400);
  });

  it('refuses to copy onto itself or into itself with 403', async () => {
    expect((await copy('file.txt', 'file.txt')).status).toBe(403);
    expect((await copy('tree/', 'tree/sub/inner/')).status).toBe(403);
  });

  it('replaces a folder destination entirely', async () => {
    mkdirSync(onDisk('target'));
    writeFileSync(onDisk('target/stale.txt'), 'stale');
    expect((await copy('tree/', 'target/')).status).toBe(204);
    expect(existsSync(onDisk('target/stale.txt'))).toBe(false);
    expect(existsSync(onDisk('target/one.txt'))).toBe(true);
  });

  it('answers 404 for a missing source and 400 without a Destination', async () => {
    expect((await copy('missing.txt', 'x.txt')).status).toBe(404);
    expect((await send(server, 'COPY', url('file.txt'))).status).toBe(400);
  });
});

describe('MOVE', () => {
  it('renames a file (201) and replaces an existing one (204)', async () => {
    expect((await move('file.txt', 'renamed.txt')).status).toBe(201);
    expect(existsSync(onDisk('file.txt'))).toBe(false);
    expect((await move('renamed.txt', 'other.txt')).status).toBe(204);
    expect(readFileSync(onDisk('other.txt'), 'utf8')).toBe('file');
  });

  it('moves a whole tree, and refuses a Depth other than infinity', async () => {
    expect((await move('tree/', 'shallow/', { Depth: '0' })).status).toBe(400);
    expect((await move('tree/', 'moved/')).status).toBe(201);
    expect(readFileSync(onDisk('moved/sub/two.txt'), 'utf8')).toBe('two');
    expect(existsSync(onDisk('tree'))).toBe(false);
  });

  it('refuses to move a folder into itself or over its own parent', async () => {
    expect((await move('tree/', 'tree/sub/x/')).status).toBe(403);
    expect((await send(server, 'MOVE', url('tree/sub/'), { Destination: url('tree/') })).status).toBe(403);
    expect(existsSync(onDisk('tree/sub/two.txt'))).toBe(true);
  });

  it('answers 412 with Overwrite F and leaves both in place', async () => {
    expect((await move('file.txt', 'other.txt', { Overwrite: 'F' })).status).toBe(412);
    expect(readFileSync(onDisk('file.txt'), 'utf8')).toBe('file');
  });

  it('refuses to move the export root', async () => {
    const response = await send(server, 'MOVE', PREFIX, { Destination: `${PREFIX}${dir}/root-copy/` });
    expect(response.status).toBe(403);
  });
});

describe('MKCOL and DELETE', () => {
  it('creates a collection (201), then 405 when it exists, 409 without a parent, 415 with a body', async () => {
    expect((await send(server, 'MKCOL', url('made'))).status).toBe(201);
    expect((await send(server, 'MKCOL', url('made'))).status).toBe(405);
    expect((await send(server, 'MKCOL', url('file.txt'))).status).toBe(405);
    expect((await send(server, 'MKCOL', url('no/parent'))).status).toBe(409);
    expect((await send(server, 'MKCOL', url('with-body'), {}, '<x/>')).status).toBe(415);
  });

  it('deletes a file and a whole tree with 204, then 404', async () => {
    expect((await send(server, 'DELETE', url('file.txt'))).status).toBe(204);
    expect((await send(server, 'DELETE', url('tree/'))).status).toBe(204);
    expect(existsSync(onDisk('tree'))).toBe(false);
    expect((await send(server, 'DELETE', url('tree/'))).status).toBe(404);
  });

  it('refuses DELETE of a collection with Depth other than infinity, and of the export root', async () => {
    expect((await send(server, 'DELETE', url('tree/'), { Depth: '0' })).status).toBe(400);
    expect((await send(server, 'DELETE', PREFIX)).status).toBe(403);
  });
});
