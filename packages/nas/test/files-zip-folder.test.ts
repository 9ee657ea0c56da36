// `GET <folder>/?zip` over a real HTTP server: the archive python3's zipfile and unzip read back holds the tree
// (nested and empty folders, unicode names, empty files) with equal checksums, and nothing else (no symlinks
// in or out, no FIFOs, no upload temp files); a file that changes mid-read, or a tree too deep, ends in a
// broken download rather than an archive that looks whole.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, requireCommand, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../src/agent/dav/request-path.js';
import { MAX_ZIP_DEPTH, zipFolderOperation } from '../src/agent/files/zip-folder.js';
import { type FilesServer, startFilesServer } from './support/files-server.js';
import { readZipWithPython, testZipWithUnzip } from './support/read-zip.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let server: FilesServer;
let root: string;
let work: string;
const photo = randomBytes(2 * 1024 * 1024 + 3);
const BIG = 64 * 1024 * 1024;

beforeAll(async () => {
  work = tempDir('homeport-zip-folder-');
  root = join(work, 'export');
  mkdirSync(join(root, 'Photos', 'Été 2025', 'empty'), { recursive: true });
  writeFileSync(join(root, 'Photos', 'Été 2025', '海.jpg'), photo);
  writeFileSync(join(root, 'Photos', 'zero.txt'), '');
  writeFileSync(join(root, 'Photos', `${TEMP_PREFIX}upload-in-flight`), 'hidden');
  writeFileSync(join(root, 'Photos', 'back\\slash.txt'), 'b');
  symlinkSync(join(root, 'Photos', 'zero.txt'), join(root, 'Photos', 'link-inside.txt'));
  writeFileSync(join(work, 'secret.txt'), 'outside the export');
  symlinkSync(join(work, 'secret.txt'), join(root, 'Photos', 'link-outside.txt'));
  symlinkSync(work, join(root, 'Photos', 'folder-outside'));
  execFileSync(requireCommand('mkfifo', 'coreutils'), [join(root, 'Photos', 'pipe')]);
  server = await startFilesServer({ root, stateDir: join(work, 'state'), operation: zipFolderOperation() });
});

afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

async function download(path: string): Promise<{ response: Response; file: string }> {
  const response = await fetch(`${server.base}${path}?zip`);
  const file = join(tempDir('homeport-zip-dl-'), 'download.zip');
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  return { response, file };
}

describe('zip of a folder', () => {
  it('holds the tree with equal checksums and nothing a listing would not show', async () => {
    const { response, file } = await download('Photos/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Photos.zip"; filename*=UTF-8''Photos.zip`,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const read = readZipWithPython(file);
    expect(read.badEntry).toBeNull();
    const byName = new Map(read.entries.map((entry) => [entry.name, entry]));
    expect([...byName.keys()].sort()).toEqual(
      ['Été 2025/', 'Été 2025/empty/', 'Été 2025/海.jpg', 'back_slash.txt', 'zero.txt'].sort(),
    );
    expect(byName.get('Été 2025/海.jpg')?.sha256).toBe(sha256(photo));
    expect(byName.get('zero.txt')?.size).toBe(0);
    expect(testZipWithUnzip(file)).toMatch(/No errors detected/);
  });

  it('names the archive of the export root after the export', async () => {
    const response = await fetch(`${server.base}?zip`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain(`filename*=UTF-8''files.zip`);
  });

  it('refuses a file and a missing folder', async () => {
    expect((await fetch(`${server.base}Photos/zero.txt?zip`)).status).toBe(400);
    expect((await fetch(`${server.base}Nothing/?zip`)).status).toBe(404);
    expect((await fetch(`${server.base}Photos/folder-outside/?zip`)).status).toBe(403);
  });

  it('breaks the download when a file changes while it is read', async () => {
    const folder = join(root, 'Changing');
    mkdirSync(folder);
    const path = join(folder, 'growing.bin');
    writeFileSync(path, Buffer.alloc(BIG, 1));
    const response = await fetch(`${server.base}Changing/?zip`);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    // The first bytes are out; most of the file is not read yet (the writer waits for this client).
    await reader.read();
    appendFileSync(path, 'more');
    const rest = (async () => {
      for (;;) {
        const { done } = await reader.read();
        if (done) return 'ended';
      }
    })();
    // Cut whether the change shows as a length that no longer matches or as a new mtime after the read.
    await expect(rest).rejects.toThrow();
  });

  it(`breaks the download of a tree deeper than ${MAX_ZIP_DEPTH} levels`, async () => {
    const deep = join(root, 'Deep', ...Array.from({ length: MAX_ZIP_DEPTH + 1 }, () => 'd'));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'bottom.txt'), 'x');
    const response = await fetch(`${server.base}Deep/?zip`);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });
});
