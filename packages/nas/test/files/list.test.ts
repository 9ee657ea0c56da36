// `GET <folder>/?list`: the page's JSON listing — what each entry says, what is hidden (temp files, symlinks
// leading out of the export), a 10,000-file folder streamed in batches, and its refusals.

import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type FilesAgent, MOUNT, startFilesAgent } from './files-agent.js';

interface Listing {
  path: string;
  entries: { name: string; kind: string; size: number; modified: string; type?: string }[];
  truncated: boolean;
}

let agent: FilesAgent;
let token: string;

beforeAll(async () => {
  agent = await startFilesAgent();
  token = agent.token();
  const { root } = agent;
  mkdirSync(join(root, 'photos', 'big'), { recursive: true });
  writeFileSync(join(root, 'photos', 'cat.jpg'), Buffer.alloc(1234));
  utimesSync(
    join(root, 'photos', 'cat.jpg'),
    new Date('2026-01-02T03:04:05Z'),
    new Date('2026-01-02T03:04:05Z'),
  );
  writeFileSync(join(root, 'photos', 'notes "quoted" é.txt'), 'hi');
  mkdirSync(join(root, 'photos', 'album'));
  writeFileSync(join(root, 'photos', '.homeport-tmp-1234'), 'upload in progress');
  const outside = tempDir('homeport-list-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, join(root, 'photos', 'escape-dir'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'photos', 'escape-file'));
  symlinkSync(join(root, 'photos', 'cat.jpg'), join(root, 'photos', 'cat-link.jpg'));
  for (let i = 0; i < 10_000; i += 1) writeFileSync(join(root, 'photos', 'big', `file-${i}.txt`), `${i}`);
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

describe('?list', () => {
  it('lists a folder: name, kind, size, modified and type of each entry', async () => {
    const response = await agent.send('GET', `${MOUNT}photos/?list`, bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
    const listing = JSON.parse(response.text) as Listing;
    expect(listing.path).toBe('/photos');
    expect(listing.truncated).toBe(false);
    const byName = new Map(listing.entries.map((entry) => [entry.name, entry]));
    expect(byName.get('cat.jpg')).toEqual({
      name: 'cat.jpg',
      kind: 'file',
      size: 1234,
      modified: '2026-01-02T03:04:05.000Z',
      type: 'image/jpeg',
    });
    expect(byName.get('notes "quoted" é.txt')).toMatchObject({ kind: 'file', size: 2, type: 'text/plain' });
    expect(byName.get('album')).toMatchObject({ kind: 'folder' });
    expect(byName.get('big')).toMatchObject({ kind: 'folder' });
    // A symlink inside the export is listed as what it points to.
    expect(byName.get('cat-link.jpg')).toMatchObject({ kind: 'file', size: 1234 });
  });

  it('hides what WebDAV hides: temp files and symlinks leading outside the export', async () => {
    const listing = JSON.parse(
      (await agent.send('GET', `${MOUNT}photos/?list`, bearer(token))).text,
    ) as Listing;
    const names = listing.entries.map((entry) => entry.name).sort();
    expect(names).toEqual(['album', 'big', 'cat-link.jpg', 'cat.jpg', 'notes "quoted" é.txt']);
  });

  it('lists the export root, with or without the trailing slash', async () => {
    const listing = JSON.parse((await agent.send('GET', `${MOUNT}?list`, bearer(token))).text) as Listing;
    expect(listing.path).toBe('/');
    expect(listing.entries.map((entry) => entry.name)).toEqual(['photos']);
    expect((await agent.send('GET', `${MOUNT.slice(0, -1)}?list`, bearer(token))).status).toBe(200);
  });

  it('streams a 10,000-file folder in batches (chunked, no Content-Length) with every entry once', async () => {
    const response = await agent.send('GET', `${MOUNT}photos/big/?list`, bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.headers['content-length']).toBeUndefined();
    const listing = JSON.parse(response.text) as Listing;
    expect(listing.entries).toHaveLength(10_000);
    expect(new Set(listing.entries.map((entry) => entry.name)).size).toBe(10_000);
    expect(listing.entries.find((entry) => entry.name === 'file-9999.txt')).toMatchObject({ size: 4 });
  });

  it('answers 404 for a missing folder and 409 for a file', async () => {
    expect((await agent.send('GET', `${MOUNT}nothing/?list`, bearer(token))).status).toBe(404);
    expect((await agent.send('GET', `${MOUNT}photos/cat.jpg?list`, bearer(token))).status).toBe(409);
  });

  it('refuses a symlinked folder leading outside the export', async () => {
    const response = await agent.send('GET', `${MOUNT}photos/escape-dir/?list`, bearer(token));
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('secret.txt');
  });
});
