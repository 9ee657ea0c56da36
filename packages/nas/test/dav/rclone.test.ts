// A real WebDAV client: rclone uploads a tree, verifies it by checksum, lists, downloads, renames and purges.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, runRclone, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, startDavServer } from './dav-server.js';

let server: DavTestServer;
let local: string;

const FILES: Record<string, Buffer> = {
  'readme.txt': Buffer.from('hello from rclone\n'),
  'photos/2024/été à Paris.jpg': randomBytes(200_000),
  'photos/2024/large.bin': randomBytes(5 * 1024 * 1024 + 3),
  'docs/with space/notes #1.md': Buffer.from('# notes\n'),
  'docs/empty.txt': Buffer.alloc(0),
};

beforeAll(async () => {
  server = await startDavServer();
  local = tempDir('homeport-rclone-src-');
  for (const [path, bytes] of Object.entries(FILES)) {
    mkdirSync(join(local, path, '..'), { recursive: true });
    writeFileSync(join(local, path), bytes);
  }
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

describe('rclone against the WebDAV server', () => {
  const remote = () => ({ url: server.url });

  it('uploads a tree, and rclone check finds it identical', async () => {
    const upload = await runRclone(remote(), ['copy', local, 'dav:backup']);
    expect(upload.exitCode, upload.stderr).toBe(0);
    for (const [path, bytes] of Object.entries(FILES)) {
      expect(readFileSync(join(server.root, 'backup', path)).equals(bytes), path).toBe(true);
    }
    const check = await runRclone(remote(), ['check', '--download', local, 'dav:backup']);
    expect(check.exitCode, check.stderr).toBe(0);
  }, 60_000);

  it('lists the tree recursively', async () => {
    const listing = await runRclone(remote(), ['lsf', '-R', '--files-only', 'dav:backup']);
    expect(listing.exitCode, listing.stderr).toBe(0);
    expect(listing.stdout.trim().split('\n').sort()).toEqual(Object.keys(FILES).sort());
  });

  it('downloads the tree back unchanged', async () => {
    const back = tempDir('homeport-rclone-back-');
    const download = await runRclone(remote(), ['copy', 'dav:backup', back]);
    expect(download.exitCode, download.stderr).toBe(0);
    for (const [path, bytes] of Object.entries(FILES)) {
      expect(readFileSync(join(back, path)).equals(bytes), path).toBe(true);
    }
  }, 60_000);

  it('renames with moveto and removes a folder with purge', async () => {
    const moved = await runRclone(remote(), [
      'moveto',
      'dav:backup/readme.txt',
      'dav:backup/docs/README.txt',
    ]);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(readFileSync(join(server.root, 'backup', 'docs', 'README.txt'), 'utf8')).toBe(
      'hello from rclone\n',
    );
    const purged = await runRclone(remote(), ['purge', 'dav:backup/photos']);
    expect(purged.exitCode, purged.stderr).toBe(0);
    const listing = await runRclone(remote(), ['lsf', 'dav:backup']);
    expect(listing.stdout.trim().split('\n').sort()).toEqual(['docs/']);
  });
});
