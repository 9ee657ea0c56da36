// OPTIONS (answered without the disk) and read-only shares (every write refused with 403).

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, LOCK_EXCLUSIVE, PREFIX, send, startDavServer } from './dav-server.js';

let writable: DavTestServer;
let readonly: DavTestServer;

beforeAll(async () => {
  writable = await startDavServer();
  readonly = await startDavServer({ readonly: true });
  writeFileSync(join(readonly.root, 'file.txt'), 'read me');
});

afterAll(async () => {
  await writable.close();
  await readonly.close();
  removeTempDirs();
});

describe('OPTIONS', () => {
  it('advertises class 1 and 2, the methods, and MS-Author-Via', async () => {
    const response = await send(writable, 'OPTIONS', PREFIX);
    expect(response.status).toBe(200);
    expect(response.headers.dav).toBe('1, 2');
    expect(response.headers['ms-author-via']).toBe('DAV');
    expect(response.headers.allow).toContain('PROPFIND');
    expect(response.headers.allow).toContain('LOCK');
  });

  it('answers for a path that does not exist (it never reads the disk)', async () => {
    expect((await send(writable, 'OPTIONS', `${PREFIX}no/such/thing`)).status).toBe(200);
  });

  it('answers 405 with Allow to a method WebDAV does not define', async () => {
    const response = await send(writable, 'POST', PREFIX, {}, 'x');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toContain('PROPFIND');
  });
});

describe('a read-only share', () => {
  it('claims class 1 only and allows only reads', async () => {
    const response = await send(readonly, 'OPTIONS', PREFIX);
    expect(response.headers.dav).toBe('1');
    expect(response.headers.allow).toBe('OPTIONS, GET, HEAD, PROPFIND');
  });

  it('serves GET, HEAD and PROPFIND', async () => {
    expect((await send(readonly, 'GET', `${PREFIX}file.txt`)).text).toBe('read me');
    expect((await send(readonly, 'HEAD', `${PREFIX}file.txt`)).status).toBe(200);
    expect((await send(readonly, 'PROPFIND', PREFIX, { Depth: '1' })).status).toBe(207);
  });

  const writes: [string, string, Record<string, string>, string | undefined][] = [
    ['PUT', 'new.txt', {}, 'x'],
    ['PUT', 'file.txt', {}, 'x'],
    ['DELETE', 'file.txt', {}, undefined],
    ['MKCOL', 'folder', {}, undefined],
    ['COPY', 'file.txt', { Destination: `${PREFIX}copy.txt` }, undefined],
    ['MOVE', 'file.txt', { Destination: `${PREFIX}moved.txt` }, undefined],
    ['PROPPATCH', 'file.txt', {}, '<D:propertyupdate xmlns:D="DAV:"/>'],
    ['LOCK', 'file.txt', {}, LOCK_EXCLUSIVE],
    ['UNLOCK', 'file.txt', { 'Lock-Token': '<urn:uuid:x>' }, undefined],
  ];
  for (const [method, path, headers, body] of writes) {
    it(`refuses ${method} ${path} with 403`, async () => {
      expect((await send(readonly, method, `${PREFIX}${path}`, headers, body)).status).toBe(403);
    });
  }

  it('changed nothing on disk', () => {
    for (const name of ['new.txt', 'folder', 'copy.txt', 'moved.txt']) {
      expect(existsSync(join(readonly.root, name))).toBe(false);
    }
    expect(existsSync(join(readonly.root, 'file.txt'))).toBe(true);
  });
});
