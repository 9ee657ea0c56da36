// Uploads in progress are recorded, so a temp file left by a crash mid-upload is deleted at the next start.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openDavState } from '../../src/agent/dav/index.js';
import { type DavTestServer, startDavServer } from './dav-server.js';

let server: DavTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('uploads in progress', () => {
  it('deletes the temp file of an upload a crash interrupted when the state is opened again', () => {
    const folder = tempDir('homeport-dav-uploads-');
    const dbFile = join(folder, 'dav.db');
    const leftover = join(folder, '.homeport-tmp-crashed');
    const first = openDatabase(dbFile);
    openDavState(first).uploads.begin(leftover);
    writeFileSync(leftover, 'half an upload');
    first.close(); // the agent dies here: the upload never ends

    const second = openDatabase(dbFile);
    openDavState(second);
    expect(existsSync(leftover)).toBe(false);
    expect(second.prepare('SELECT COUNT(*) FROM dav_uploads').pluck().get()).toBe(0);
    second.close();
  });

  it('forgets an upload once it is renamed into place, and leaves no temp file', async () => {
    server = await startDavServer();
    const response = await fetch(`${server.url}done.txt`, { method: 'PUT', body: 'complete' });
    expect(response.status).toBe(201);
    expect(server.db.prepare('SELECT COUNT(*) FROM dav_uploads').pluck().get()).toBe(0);
    expect(readdirSync(server.root)).toEqual(['done.txt']);
  });
});
