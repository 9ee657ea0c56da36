// Resumable uploads (`?upload`) over a real HTTP server: the protocol round trip, resume after a connection cut
// mid-PATCH, wrong offsets, a concurrent PATCH, cancel, the sweep, the per-export cap, free space, file names
// (traversal included), and who may continue whose upload (ids bound to the credential's scope).

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../src/agent/dav/request-path.js';
import { sweepUploads } from '../src/agent/files/upload-state.js';
import { startUploadSweeper } from '../src/agent/files/upload-sweeper.js';
import { uploadsOperation } from '../src/agent/files/uploads.js';
import { claimsFor, type FilesServer, startFilesServer } from './support/files-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const PATCH_TYPE = 'application/offset+octet-stream';
const MAX_OPEN = 4;

let server: FilesServer;
let root: string;
let stateDir: string;

beforeAll(async () => {
  const work = tempDir('homeport-uploads-');
  root = join(work, 'export');
  stateDir = join(work, 'state');
  mkdirSync(join(root, 'Inbox', 'Sub'), { recursive: true });
  mkdirSync(join(root, 'Other'), { recursive: true });
  server = await startFilesServer({
    root,
    stateDir,
    operation: uploadsOperation({ maxOpenUploads: MAX_OPEN }),
  });
});

afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

/** Cancels every upload left open, so the per-export cap does not leak between tests. */
function cancelAll(): void {
  const folder = join(stateDir, 'uploads');
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) rmSync(join(folder, name), { force: true });
}

async function startUpload(dir: string, name: string, length: number, headers: Record<string, string> = {}) {
  return fetch(`${server.base}${dir}?upload`, {
    method: 'POST',
    headers: { 'upload-length': String(length), 'x-file-name': encodeURIComponent(name), ...headers },
  });
}

async function begin(
  dir: string,
  name: string,
  length: number,
  headers: Record<string, string> = {},
): Promise<string> {
  const answer = await startUpload(dir, name, length, headers);
  expect(answer.status, await answer.clone().text()).toBe(201);
  const location = answer.headers.get('location');
  if (!location) throw new Error('no Location');
  return `${server.url}${location}`;
}

const patch = (url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'PATCH',
    headers: { 'content-type': PATCH_TYPE, 'upload-offset': String(offset), ...headers },
    body,
  });

const offsetOf = async (url: string) => {
  const answer = await fetch(url, { method: 'HEAD' });
  expect(answer.status).toBe(204);
  return Number(answer.headers.get('upload-offset'));
};

/** A POST with its target sent byte for byte; resolves with the status. */
function rawPost(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(server.url, { method: 'POST', path, headers });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

/** A PATCH whose body is sent only partly and held open: the request and a function that cuts it. */
function heldPatch(url: string, offset: number, first: Buffer, total: number) {
  const request = http.request(url, {
    method: 'PATCH',
    headers: { 'content-type': PATCH_TYPE, 'upload-offset': String(offset), 'content-length': String(total) },
  });
  request.on('error', () => undefined); // cut on purpose below
  const answered = new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
  request.write(first);
  return { request, answered, cut: () => request.destroy() };
}

describe('resumable uploads', () => {
  it('starts, tells its offset, takes the bytes in several PATCHes and puts the file in place', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 11);
    const answer = await startUpload('Inbox/', 'été 海.bin', data.length);
    expect(answer.status).toBe(201);
    const body = (await answer.json()) as { id: string; offset: number };
    expect(body.offset).toBe(0);
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(answer.headers.get('location')).toBe(`/dav/files/Inbox/?upload=${body.id}`);
    const url = `${server.url}${answer.headers.get('location')}`;
    expect(await offsetOf(url)).toBe(0);
    const half = 3 * 1024 * 1024;
    const first = await patch(url, 0, data.subarray(0, half));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(half));
    expect(await offsetOf(url)).toBe(half);
    // Nothing in the export until the last byte.
    expect(existsSync(join(root, 'Inbox', 'été 海.bin'))).toBe(false);
    const last = await patch(url, half, data.subarray(half));
    expect(last.status).toBe(201);
    expect(last.headers.get('location')).toBe(`/dav/files/Inbox/${encodeURIComponent('été 海.bin')}`);
    expect(last.headers.get('etag')).toMatch(/^"/);
    expect(sha256(readFileSync(join(root, 'Inbox', 'été 海.bin')))).toBe(sha256(data));
    // The upload is over: its id names nothing, its files are gone.
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(404);
    expect(readdirSync(join(stateDir, 'uploads')).filter((name) => name.startsWith(body.id))).toEqual([]);
  });

  it('finishes an empty file with one empty PATCH', async () => {
    const url = await begin('Inbox/', 'empty.txt', 0);
    const done = await patch(url, 0, Buffer.alloc(0));
    expect(done.status).toBe(201);
    expect(readFileSync(join(root, 'Inbox', 'empty.txt'))).toHaveLength(0);
  });

  it('uploads into a folder deeper than a share link may reach (a path past 1 KiB)', async () => {
    const segments = Array.from({ length: 12 }, (_, index) => `${index}-${'d'.repeat(100)}`);
    mkdirSync(join(root, ...segments), { recursive: true });
    const url = await begin(`${segments.join('/')}/`, 'deep.txt', 4);
    expect((await patch(url, 0, Buffer.from('deep'))).status).toBe(201);
    expect(readFileSync(join(root, ...segments, 'deep.txt'), 'utf8')).toBe('deep');
  });

  it('answers an id only from the folder it was started in', async () => {
    const url = await begin('Inbox/', 'here.bin', 4);
    const elsewhere = url.replace('/Inbox/', '/Other/');
    expect((await fetch(elsewhere, { method: 'HEAD' })).status).toBe(404);
    expect((await patch(elsewhere, 0, Buffer.from('evil'))).status).toBe(404);
    expect((await fetch(elsewhere, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(url.replace('/Inbox/', '/'), { method: 'HEAD' })).status).toBe(404);
    // Ids that are not ours: malformed, or a path in disguise.
    for (const id of ['', 'x', '..%2f..%2fstate', `${'A'.repeat(21)}.`, 'A'.repeat(23)])
      expect(
        (await fetch(`${server.base}Inbox/?upload=${id}`, { method: 'HEAD' })).status,
        id,
      ).toBeGreaterThanOrEqual(400);
    expect(await offsetOf(url)).toBe(0);
    await fetch(url, { method: 'DELETE' });
  });

  it('resumes after the connection is cut mid-PATCH, with equal checksums', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const url = await begin('Inbox/', 'resumed.bin', data.length);
    const held = heldPatch(url, 0, data.subarray(0, 3 * 1024 * 1024), data.length);
    // Bytes that reached the agent before the cut are kept.
    await until(async () => (await offsetOf(url)) > 0);
    held.cut();
    // The agent notices the cut, writes what it had gathered and lets go of the upload.
    const offset = await until(async () => {
      const now = await offsetOf(url);
      const retry = await patch(url, now, Buffer.alloc(0));
      return retry.status === 204 ? now : undefined;
    });
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(3 * 1024 * 1024);
    const rest = await patch(url, offset, data.subarray(offset));
    expect(rest.status).toBe(201);
    expect(sha256(readFileSync(join(root, 'Inbox', 'resumed.bin')))).toBe(sha256(data));
  });

  it('refuses a PATCH at the wrong offset with 409 and the current offset', async () => {
    const url = await begin('Inbox/', 'offsets.bin', 100);
    expect((await patch(url, 0, Buffer.alloc(40))).status).toBe(204);
    const wrong = await patch(url, 10, Buffer.alloc(10));
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('upload-offset')).toBe('40');
    expect(await offsetOf(url)).toBe(40);
    const behind = await patch(url, 0, Buffer.alloc(10));
    expect(behind.status).toBe(409);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses a second PATCH while one is writing', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const url = await begin('Inbox/', 'concurrent.bin', data.length);
    const held = heldPatch(url, 0, data.subarray(0, 1024), data.length);
    // The first PATCH holds the upload once the agent has its headers (its lock file is there).
    const id = new URL(url).searchParams.get('upload') ?? '';
    await until(() => existsSync(join(stateDir, 'uploads', `${id}.lock`)));
    const refused = await patch(url, 0, data);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('upload-offset')).not.toBeNull();
    held.request.end(data.subarray(1024));
    const first = await held.answered;
    expect(first.statusCode).toBe(201);
    expect(sha256(readFileSync(join(root, 'Inbox', 'concurrent.bin')))).toBe(sha256(data));
  });

  it('cancels an upload', async () => {
    const url = await begin('Inbox/', 'cancelled.bin', 1000);
    expect((await patch(url, 0, Buffer.alloc(500))).status).toBe(204);
    const id = new URL(url).searchParams.get('upload') ?? '';
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(404);
    expect((await patch(url, 500, Buffer.alloc(500))).status).toBe(404);
    expect(readdirSync(join(stateDir, 'uploads')).filter((name) => name.startsWith(id))).toEqual([]);
    expect(existsSync(join(root, 'Inbox', 'cancelled.bin'))).toBe(false);
  });

  it('sweeps uploads untouched for a day, and only those', async () => {
    const stale = await begin('Inbox/', 'stale.bin', 1000);
    const fresh = await begin('Inbox/', 'fresh.bin', 1000);
    const staleId = new URL(stale).searchParams.get('upload') ?? '';
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    for (const name of readdirSync(join(stateDir, 'uploads')))
      if (name.startsWith(staleId)) utimesSync(join(stateDir, 'uploads', name), dayAgo, dayAgo);
    expect(await sweepUploads(stateDir, 24 * 3600 * 1000, Date.now())).toBe(1);
    expect((await fetch(stale, { method: 'HEAD' })).status).toBe(404);
    expect(await offsetOf(fresh)).toBe(0);
    expect(await sweepUploads(stateDir, 24 * 3600 * 1000, Date.now())).toBe(0);
    await fetch(fresh, { method: 'DELETE' });
  });

  it('takes over the lock of a PATCH whose process died, or that was not refreshed for a minute', async () => {
    const url = await begin('Inbox/', 'crashed.bin', 4);
    const id = new URL(url).searchParams.get('upload') ?? '';
    const lock = join(stateDir, 'uploads', `${id}.lock`);
    // A pid that existed and is gone: a short child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(lock, `${dead} 0123456789abcdef`);
    expect((await patch(url, 0, Buffer.from('ab'))).status).toBe(204);
    // Held by a live process (this one) but not refreshed for two minutes: a pid reused after a restart.
    writeFileSync(lock, `${process.pid} 0123456789abcdef`);
    expect((await patch(url, 2, Buffer.from('cd'))).status).toBe(409);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    expect((await patch(url, 2, Buffer.from('cd'))).status).toBe(201);
    expect(readFileSync(join(root, 'Inbox', 'crashed.bin'), 'utf8')).toBe('abcd');
  });

  it('sweeps every export of the agent from its state dir (startUploadSweeper)', async () => {
    const url = await begin('Inbox/', 'abandoned.bin', 10);
    const id = new URL(url).searchParams.get('upload') ?? '';
    // The test server keeps its export state where dispatch.ts keeps one export's: <agent state>/files/<key>/.
    const agentState = join(stateDir, '..', 'agent-state');
    mkdirSync(join(agentState, 'files'), { recursive: true });
    const logs: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
    symlinkSync(stateDir, join(agentState, 'files', 'export-key'));
    const sweeper = startUploadSweeper({
      stateDir: agentState,
      log,
      clock: () => Date.now() + 25 * 3600 * 1000,
    });
    try {
      await until(() => logs.some((line) => line.includes('abandoned resumable uploads deleted')));
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(404);
      expect(readdirSync(join(stateDir, 'uploads')).filter((name) => name.startsWith(id))).toEqual([]);
    } finally {
      sweeper.stop();
    }
  });

  it(`refuses more than ${MAX_OPEN} open uploads per export (429)`, async () => {
    cancelAll();
    const urls: string[] = [];
    for (let index = 0; index < MAX_OPEN; index += 1)
      urls.push(await begin('Inbox/', `cap-${index}.bin`, 10));
    expect((await startUpload('Inbox/', 'one-too-many.bin', 10)).status).toBe(429);
    await fetch(urls[0] ?? '', { method: 'DELETE' });
    const again = await startUpload('Inbox/', 'one-too-many.bin', 10);
    expect(again.status).toBe(201);
    cancelAll();
  });

  it('refuses an upload larger than the free space (507)', async () => {
    expect((await startUpload('Inbox/', 'huge.bin', 2 ** 52)).status).toBe(507);
  });

  it('refuses names that are not one plain file name, and paths out of the export', async () => {
    for (const raw of [
      '..',
      '.',
      '%2e%2e',
      'a%2fb',
      'a/b',
      'a%5cb',
      'a%00b',
      '%',
      '%c0%ae',
      `${TEMP_PREFIX}x`,
      'x?y',
      `${'é'.repeat(128)}`,
    ]) {
      const answer = await fetch(`${server.base}Inbox/?upload`, {
        method: 'POST',
        headers: { 'upload-length': '1', 'x-file-name': raw },
      });
      expect(answer.status, raw).toBe(400);
    }
    const missing = await fetch(`${server.base}Inbox/?upload`, {
      method: 'POST',
      headers: { 'upload-length': '1' },
    });
    expect(missing.status).toBe(400);
    for (const length of ['', '-1', '1e3', '0x10', '99999999999999999']) {
      expect((await startUpload('Inbox/', 'n.bin', 0, { 'upload-length': length })).status, length).toBe(400);
    }
    // Sent as is (fetch would resolve the dots before sending).
    for (const dir of ['../', '..%2f', '%2e%2e/', 'Inbox/%2e%2e/', 'Inbox%2f..%2f', 'Inbox/../../']) {
      const status = await rawPost(`/dav/files/${dir}?upload`, {
        'upload-length': '1',
        'x-file-name': 'n.bin',
      });
      expect(status, dir).toBeGreaterThanOrEqual(400);
      expect(status, dir).toBeLessThan(500);
    }
    expect((await startUpload('Nowhere/', 'n.bin', 1)).status).toBe(404);
    // 255 bytes is the longest name.
    const longest = await startUpload('Inbox/', 'n'.repeat(255), 1);
    expect(longest.status).toBe(201);
    cancelAll();
  });

  it('with If-None-Match: * refuses an existing name at the start and one created meanwhile at the end', async () => {
    writeFileSync(join(root, 'Inbox', 'taken.txt'), 'old');
    expect((await startUpload('Inbox/', 'taken.txt', 3, { 'if-none-match': '*' })).status).toBe(412);
    const url = await begin('Inbox/', 'raced.txt', 3, { 'if-none-match': '*' });
    writeFileSync(join(root, 'Inbox', 'raced.txt'), 'someone else');
    expect((await patch(url, 0, Buffer.from('new'))).status).toBe(412);
    expect(readFileSync(join(root, 'Inbox', 'raced.txt'), 'utf8')).toBe('someone else');
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(404);
  });

  it('without If-None-Match replaces a file and keeps its permissions', async () => {
    const path = join(root, 'Inbox', 'private.txt');
    writeFileSync(path, 'old');
    chmodSync(path, 0o600);
    const url = await begin('Inbox/', 'private.txt', 3);
    expect((await patch(url, 0, Buffer.from('new'))).status).toBe(201);
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a body past the announced length, and a PATCH of another type', async () => {
    const url = await begin('Inbox/', 'bounded.bin', 10);
    expect((await patch(url, 0, Buffer.alloc(11))).status).toBe(413);
    expect(await offsetOf(url)).toBe(0);
    // Without Content-Length (chunked), found out while reading: refused whole too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = http.request(url, {
        method: 'PATCH',
        headers: { 'content-type': PATCH_TYPE, 'upload-offset': '0', 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.write(Buffer.alloc(6));
      request.end(Buffer.alloc(6));
    });
    expect(chunked).toBe(413);
    expect(await offsetOf(url)).toBe(0);
    expect(
      (await patch(url, 0, Buffer.alloc(5), { 'content-type': 'application/octet-stream' })).status,
    ).toBe(415);
    await fetch(url, { method: 'DELETE' });
  });

  it('binds an upload to the scope of the credential that started it', async () => {
    try {
      // A read-only credential and a view link cannot upload at all.
      server.claims = claimsFor({ readonly: true });
      expect((await startUpload('Inbox/', 'ro.bin', 1)).status).toBe(403);
      server.claims = claimsFor({ readonly: true, scope: { path: '/Inbox', mode: 'view' } });
      expect((await startUpload('Inbox/', 'view.bin', 1)).status).toBe(403);

      // A file drop adds files to its own folder only, never over an existing name.
      const drop = claimsFor({
        readonly: true,
        username: 'share-a',
        scope: { path: '/Inbox', mode: 'drop' },
      });
      server.claims = drop;
      expect((await startUpload('Inbox/Sub/', 'deeper.bin', 1)).status).toBe(403);
      writeFileSync(join(root, 'Inbox', 'exists.txt'), 'x');
      expect((await startUpload('Inbox/', 'exists.txt', 1)).status).toBe(412);
      const dropped = await begin('Inbox/', 'dropped.bin', 4);

      // Nobody else can see or touch that id: another drop link, a full credential, another folder.
      server.claims = claimsFor({
        readonly: true,
        username: 'share-b',
        scope: { path: '/Other', mode: 'drop' },
      });
      const elsewhere = dropped.replace('/Inbox/', '/Other/');
      expect((await fetch(elsewhere, { method: 'HEAD' })).status).toBe(404);
      expect((await fetch(elsewhere, { method: 'DELETE' })).status).toBe(404);
      server.claims = claimsFor();
      expect((await fetch(dropped, { method: 'HEAD' })).status).toBe(404);
      expect((await patch(dropped, 0, Buffer.from('evil'))).status).toBe(404);

      // A renewed credential of the same link continues it.
      server.claims = { ...drop, username: 'share-a-renewed' };
      expect((await patch(dropped, 0, Buffer.from('data'))).status).toBe(201);
      expect(readFileSync(join(root, 'Inbox', 'dropped.bin'), 'utf8')).toBe('data');
    } finally {
      server.claims = claimsFor();
    }
  });
});

describe('resumable uploads with the state dir on another filesystem', () => {
  it('copies the part beside the target and renames it, for a new file and over an existing one', async () => {
    // /dev/shm is a tmpfs: another device than the export's, so rename() and link() from it fail with EXDEV.
    const elsewhere = mkdtempSync('/dev/shm/homeport-upload-state-');
    const exportRoot = join(tempDir('homeport-uploads-exdev-'), 'export');
    mkdirSync(exportRoot);
    expect(statSync(elsewhere).dev).not.toBe(statSync(exportRoot).dev);
    const other = await startFilesServer({
      root: exportRoot,
      stateDir: elsewhere,
      operation: uploadsOperation(),
    });
    try {
      const data = randomBytes(1024 * 1024 + 3);
      for (const headers of [{ 'if-none-match': '*' }, {}]) {
        const started = await fetch(`${other.base}?upload`, {
          method: 'POST',
          headers: { 'upload-length': String(data.length), 'x-file-name': 'moved.bin', ...headers },
        });
        expect(started.status).toBe(201);
        const url = `${other.url}${started.headers.get('location')}`;
        expect((await patch(url, 0, data)).status).toBe(201);
        expect(sha256(readFileSync(join(exportRoot, 'moved.bin')))).toBe(sha256(data));
      }
      // Nothing left behind: no part in the state dir, no temp file beside the target.
      expect(readdirSync(join(elsewhere, 'uploads'))).toEqual([]);
      expect(readdirSync(exportRoot)).toEqual(['moved.bin']);
    } finally {
      await other.close();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
