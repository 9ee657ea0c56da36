// Adversarial paths: no spelling of a URL, and no symlink inside the export, reaches a file outside the root.

import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAVERSAL_CASES } from '../support/traversal-corpus.js';
import { type DavTestServer, PREFIX, propfindBody, send, startDavServer } from './dav-server.js';

const SECRET = 'TOP SECRET outside the export';

let base: string;
let outside: string;
let server: DavTestServer;

beforeAll(async () => {
  // base/secret.txt and base/outside/ sit next to the export root base/export/.
  base = tempDir('homeport-dav-paths-');
  outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  const root = join(base, 'export');
  mkdirSync(root);
  writeFileSync(join(root, 'inside.txt'), 'inside');
  mkdirSync(join(root, 'folder'));
  writeFileSync(join(root, 'folder', 'member.txt'), 'member');
  symlinkSync(join(base, 'secret.txt'), join(root, 'file-link'));
  symlinkSync(outside, join(root, 'dir-link'));
  symlinkSync('../secret.txt', join(root, 'relative-link'));
  symlinkSync(join(root, 'folder'), join(root, 'inside-dir-link'));
  symlinkSync(join(root, 'inside.txt'), join(root, 'inside-file-link'));
  symlinkSync(join(base, 'created-through-link.txt'), join(root, 'dangling-out'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  server = await startDavServer({ root });
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

const expectRefused = (status: number, text: string) => {
  expect([400, 403, 404]).toContain(status);
  expect(text).not.toContain(SECRET);
};

describe('request targets that try to leave the export', () => {
  const cases = TRAVERSAL_CASES;
  for (const [name, rest, status] of cases) {
    it(`refuses ${name}: ${rest}`, async () => {
      const response = await send(server, 'GET', `${PREFIX}${rest}`);
      expect(response.status).toBe(status);
      expectRefused(response.status, response.text);
    });
  }

  it('keeps an absolute path after the prefix inside the root (//etc/passwd is etc/passwd there)', async () => {
    const response = await send(server, 'GET', `${PREFIX}/etc/passwd`);
    expect(response.status).toBe(404);
    expect(response.text).not.toContain('root:');
  });

  it('refuses dot-dot in an absolute-form request target', async () => {
    const response = await send(server, 'GET', `http://127.0.0.1:${server.port}${PREFIX}../secret.txt`);
    expectRefused(response.status, response.text);
  });

  it('refuses a PUT that climbs out, and writes nothing outside', async () => {
    const response = await send(server, 'PUT', `${PREFIX}%2e%2e/planted.txt`, {}, 'planted');
    expect(response.status).toBe(400);
    expect(existsSync(join(base, 'planted.txt'))).toBe(false);
  });

  it('refuses a Destination that climbs out, and copies nothing outside', async () => {
    for (const destination of [`${PREFIX}../copied.txt`, `${PREFIX}%2e%2e/copied.txt`]) {
      const response = await send(server, 'COPY', `${PREFIX}inside.txt`, { Destination: destination });
      expect(response.status).toBe(400);
    }
    expect(existsSync(join(base, 'copied.txt'))).toBe(false);
  });

  it('refuses a Destination outside the export prefix with 403', async () => {
    const response = await send(server, 'COPY', `${PREFIX}inside.txt`, {
      Destination: '/dav/exports/other/x.txt',
    });
    expect(response.status).toBe(403);
  });

  it('refuses a request outside the prefix', async () => {
    const response = await send(server, 'GET', '/dav/exports/exp_other/secret.txt');
    expect(response.status).toBe(404);
  });
});

describe('symlinks', () => {
  it('refuses a file symlink pointing outside', async () => {
    const response = await send(server, 'GET', `${PREFIX}file-link`);
    expect(response.status).toBe(403);
    expect(response.text).not.toContain(SECRET);
  });

  it('refuses a relative symlink climbing outside', async () => {
    const response = await send(server, 'GET', `${PREFIX}relative-link`);
    expect(response.status).toBe(403);
    expect(response.text).not.toContain(SECRET);
  });

  it('refuses a file reached through a directory symlink pointing outside', async () => {
    const response = await send(server, 'GET', `${PREFIX}dir-link/secret.txt`);
    expect(response.status).toBe(403);
    expect(response.text).not.toContain(SECRET);
  });

  it('refuses PROPFIND on a directory symlink pointing outside', async () => {
    const response = await send(server, 'PROPFIND', `${PREFIX}dir-link/`, { Depth: '1' });
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('secret.txt');
  });

  it('leaves escaping symlinks out of a folder listing', async () => {
    const response = await send(server, 'PROPFIND', PREFIX, { Depth: '1' }, propfindBody('resourcetype'));
    expect(response.status).toBe(207);
    expect(response.text).toContain(`${PREFIX}inside.txt`);
    for (const name of ['file-link', 'dir-link', 'relative-link', 'dangling-out', 'loop-a']) {
      expect(response.text).not.toContain(`${PREFIX}${name}`);
    }
  });

  it('shows the same members in the HTML listing as in PROPFIND: escaping symlinks hidden', async () => {
    const propfind = await send(server, 'PROPFIND', PREFIX, { Depth: '1' }, propfindBody('resourcetype'));
    const hrefs = [...propfind.text.matchAll(/<D:href>([^<]+)<\/D:href>/g)]
      .map((match) => match[1] ?? '')
      .filter((href) => href !== PREFIX)
      .sort();
    const listing = await send(server, 'GET', PREFIX);
    expect(listing.status).toBe(200);
    const links = [...listing.text.matchAll(/<a href="([^"]+)">/g)].map((match) => match[1] ?? '').sort();
    expect(links).toEqual(hrefs);
    for (const name of ['file-link', 'dir-link', 'relative-link', 'dangling-out', 'loop-a'])
      expect(listing.text).not.toMatch(new RegExp(`>${name}/?<`));
    // A symlink to a folder inside the export is listed as the folder it is.
    expect(links).toContain(`${PREFIX}inside-dir-link/`);
  });

  it('follows symlinks that stay inside the export', async () => {
    expect((await send(server, 'GET', `${PREFIX}inside-file-link`)).text).toBe('inside');
    expect((await send(server, 'GET', `${PREFIX}inside-dir-link/member.txt`)).text).toBe('member');
  });

  it('refuses PUT through a symlinked parent pointing outside', async () => {
    const response = await send(server, 'PUT', `${PREFIX}dir-link/planted.txt`, {}, 'planted');
    expect(response.status).toBe(403);
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
  });

  it('refuses PUT over a file symlink pointing outside, leaving its target untouched', async () => {
    const response = await send(server, 'PUT', `${PREFIX}file-link`, {}, 'overwritten');
    expect(response.status).toBe(403);
    expect(readFileSync(join(base, 'secret.txt'), 'utf8')).toBe(SECRET);
  });

  it('replaces a dangling symlink on PUT instead of creating its outside target', async () => {
    const response = await send(server, 'PUT', `${PREFIX}dangling-out`, {}, 'replaced');
    expect(response.status).toBe(201);
    expect(existsSync(join(base, 'created-through-link.txt'))).toBe(false);
    expect(lstatSync(join(server.root, 'dangling-out')).isFile()).toBe(true);
  });

  it('refuses MKCOL through a symlinked parent pointing outside', async () => {
    const response = await send(server, 'MKCOL', `${PREFIX}dir-link/newcol`);
    expect(response.status).toBe(403);
    expect(existsSync(join(outside, 'newcol'))).toBe(false);
  });

  it('refuses MOVE into a symlinked parent pointing outside, leaving the source', async () => {
    writeFileSync(join(server.root, 'to-move.txt'), 'move me');
    const response = await send(server, 'MOVE', `${PREFIX}to-move.txt`, {
      Destination: `${PREFIX}dir-link/moved.txt`,
    });
    expect(response.status).toBe(403);
    expect(existsSync(join(outside, 'moved.txt'))).toBe(false);
    expect(existsSync(join(server.root, 'to-move.txt'))).toBe(true);
  });

  it('refuses COPY into a symlinked parent pointing outside', async () => {
    const response = await send(server, 'COPY', `${PREFIX}inside.txt`, {
      Destination: `${PREFIX}dir-link/copied.txt`,
    });
    expect(response.status).toBe(403);
    expect(existsSync(join(outside, 'copied.txt'))).toBe(false);
  });

  it('refuses DELETE through a directory symlink pointing outside', async () => {
    const response = await send(server, 'DELETE', `${PREFIX}dir-link/secret.txt`);
    expect(response.status).toBe(403);
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
  });

  it('refuses MOVE of a file reached through an outside symlink', async () => {
    const response = await send(server, 'MOVE', `${PREFIX}dir-link/secret.txt`, {
      Destination: `${PREFIX}stolen.txt`,
    });
    expect(response.status).toBe(403);
    expect(existsSync(join(server.root, 'stolen.txt'))).toBe(false);
  });

  it('answers 404 for a symlink loop', async () => {
    expect((await send(server, 'GET', `${PREFIX}loop-a`)).status).toBe(404);
  });

  it('does not copy an outside symlink found inside a copied folder', async () => {
    mkdirSync(join(server.root, 'with-link'));
    symlinkSync(join(base, 'secret.txt'), join(server.root, 'with-link', 'escape'));
    writeFileSync(join(server.root, 'with-link', 'plain.txt'), 'plain');
    const response = await send(server, 'COPY', `${PREFIX}with-link/`, {
      Destination: `${PREFIX}with-link-copy/`,
    });
    expect(response.status).toBe(201);
    expect(existsSync(join(server.root, 'with-link-copy', 'plain.txt'))).toBe(true);
    expect(existsSync(join(server.root, 'with-link-copy', 'escape'))).toBe(false);
  });
});
