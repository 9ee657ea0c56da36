// The benchmark peers: nginx, apache2 mod_dav and rclone serve webdav start on free ports, serve, and stop by PID.

import { linkSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  removeTempDirs,
  runningCount,
  startApacheDav,
  startNginx,
  startRcloneServe,
  stopAll,
  tempDir,
} from '../src/index.js';
import { isAlive } from '../src/process/pid-file-daemon.js';

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

function filesFolder(): string {
  const folder = tempDir('testkit-peer-files-');
  writeFileSync(join(folder, 'hello.txt'), 'hello from a peer\n');
  return folder;
}

describe('peers', () => {
  it('nginx serves a folder, takes a PUT under /dav/, and is gone after stop()', async () => {
    const nginx = await startNginx({ serve: filesFolder() });
    const get = await fetch(`${nginx.url}/hello.txt`);
    expect(await get.text()).toBe('hello from a peer\n');
    const put = await fetch(`${nginx.davUrl}new.txt`, { method: 'PUT', body: 'uploaded' });
    expect(put.status).toBe(201);
    expect(readFileSync(join(nginx.uploadDir, 'new.txt'), 'utf8')).toBe('uploaded');
    await nginx.daemon.stop();
    expect(isAlive(nginx.daemon.pid)).toBe(false);
  });

  it('apache2 answers PROPFIND Depth 1 on files linked into its DocumentRoot, and is gone after stop()', async () => {
    const apache = await startApacheDav();
    linkSync(join(filesFolder(), 'hello.txt'), join(apache.davDir, 'hello.txt'));
    const listing = await fetch(apache.url, { method: 'PROPFIND', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    expect(await listing.text()).toContain('/hello.txt</D:href>');
    const put = await fetch(`${apache.url}new.txt`, { method: 'PUT', body: 'uploaded' });
    expect(put.status).toBe(201);
    await apache.daemon.stop();
    expect(isAlive(apache.daemon.pid)).toBe(false);
  });

  it('rclone serve webdav lists and serves a folder', async () => {
    const rclone = await startRcloneServe(filesFolder());
    const listing = await fetch(rclone.url, { method: 'PROPFIND', headers: { Depth: '1' } });
    expect(listing.status).toBe(207);
    expect(await listing.text()).toContain('hello.txt');
    expect(await (await fetch(`${rclone.url}hello.txt`)).text()).toBe('hello from a peer\n');
    await rclone.process.stop();
  });

  it('stopAll() stops daemons still running', async () => {
    const before = runningCount();
    const nginx = await startNginx();
    expect(runningCount()).toBe(before + 1);
    await stopAll();
    expect(isAlive(nginx.daemon.pid)).toBe(false);
    expect(runningCount()).toBe(0);
  });
});
