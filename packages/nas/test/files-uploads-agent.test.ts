// `?zip` and `?upload` through the agent's real front (gate, share-link scopes, CORS, files dispatch): a
// browser credential uploads and downloads, a file-drop link uploads only into its folder and cannot read what
// it dropped, a view link zips its folder, read-only and revoked credentials are refused, and the headers a
// page on the control plane's origin needs are exposed.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOWED_ORIGIN,
  bearer,
  type FilesAgent,
  MOUNT,
  startFilesAgent,
  usernameOf,
} from './files/files-agent.js';
import { readZipWithPython } from './support/read-zip.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const PATCH_TYPE = 'application/offset+octet-stream';

let agent: FilesAgent;

beforeAll(async () => {
  agent = await startFilesAgent();
  mkdirSync(join(agent.root, 'Album', 'Inner'), { recursive: true });
  writeFileSync(join(agent.root, 'Album', 'Inner', 'photo.jpg'), randomBytes(100_000));
  writeFileSync(join(agent.root, 'secret.txt'), 'not shared');
  mkdirSync(join(agent.root, 'Dropbox'));
});

afterAll(async () => {
  await agent?.close();
  removeTempDirs();
});

async function upload(
  token: string,
  folder: string,
  name: string,
  data: Buffer,
  headers: Record<string, string> = {},
) {
  const started = await agent.send('POST', `${MOUNT}${folder}?upload`, {
    ...bearer(token),
    'upload-length': String(data.length),
    'x-file-name': encodeURIComponent(name),
    ...headers,
  });
  if (started.status !== 201) return { started, finished: undefined };
  const location = String(started.headers.location);
  const half = Math.floor(data.length / 2);
  const first = await agent.send(
    'PATCH',
    location,
    { ...bearer(token), 'content-type': PATCH_TYPE, 'upload-offset': '0' },
    data.subarray(0, half),
  );
  expect(first.status).toBe(204);
  const finished = await agent.send(
    'PATCH',
    location,
    { ...bearer(token), 'content-type': PATCH_TYPE, 'upload-offset': String(half) },
    data.subarray(half),
  );
  return { started, finished, location };
}

describe('zip and uploads through the agent front', () => {
  it('a browser credential uploads in two PATCHes and downloads the folder as a ZIP', async () => {
    const token = agent.token();
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const { finished } = await upload(token, 'Album/', 'big.bin', data);
    expect(finished?.status).toBe(201);
    expect(sha256(readFileSync(join(agent.root, 'Album', 'big.bin')))).toBe(sha256(data));

    // The ZIP link is a plain GET: the credential may ride in the query.
    const zip = await agent.send('GET', `${MOUNT}Album/?zip&access_token=${token}`);
    expect(zip.status).toBe(200);
    expect(zip.headers['referrer-policy']).toBe('no-referrer');
    const file = join(tempDir('homeport-zip-agent-'), 'album.zip');
    writeFileSync(file, zip.body);
    const read = readZipWithPython(file);
    expect(read.badEntry).toBeNull();
    expect(read.entries.map((entry) => entry.name).sort()).toEqual(['Inner/', 'Inner/photo.jpg', 'big.bin']);
    expect(read.entries.find((entry) => entry.name === 'big.bin')?.sha256).toBe(sha256(data));
    expect(agent.logs.join('\n')).not.toContain(token);
  });

  it('exposes the upload headers to the control plane origin', async () => {
    const token = agent.token();
    const started = await agent.send('POST', `${MOUNT}Album/?upload`, {
      ...bearer(token),
      origin: ALLOWED_ORIGIN,
      'upload-length': '10',
      'x-file-name': 'cors.bin',
    });
    expect(started.status).toBe(201);
    expect(started.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const exposed = String(started.headers['access-control-expose-headers']).toLowerCase();
    for (const header of ['location', 'upload-offset', 'upload-length']) expect(exposed).toContain(header);
    const preflight = await agent.send('OPTIONS', `${MOUNT}Album/?upload`, {
      origin: ALLOWED_ORIGIN,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'authorization, content-type, upload-offset',
    });
    expect(preflight.status).toBe(204);
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('PATCH');
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('x-file-name');
    await agent.send('DELETE', String(started.headers.location), bearer(token));
  });

  it('a file-drop link uploads into its folder only, never over a file, and cannot read what it dropped', async () => {
    const drop = agent.token({ scope: { path: '/Dropbox', mode: 'drop' } });
    const data = randomBytes(200_000);
    const { finished, location } = await upload(drop, 'Dropbox/', 'report.pdf', data);
    expect(finished?.status).toBe(201);
    expect(sha256(readFileSync(join(agent.root, 'Dropbox', 'report.pdf')))).toBe(sha256(data));
    // Never over an existing name, whatever it asks.
    const again = await upload(drop, 'Dropbox/', 'report.pdf', Buffer.from('overwrite'));
    expect(again.started.status).toBe(412);
    expect(sha256(readFileSync(join(agent.root, 'Dropbox', 'report.pdf')))).toBe(sha256(data));
    // Nothing to read: not the file, not a ZIP of the folder, not the finished upload.
    for (const path of ['Dropbox/report.pdf', 'Dropbox/?zip', 'Dropbox/?list'])
      expect((await agent.send('GET', `${MOUNT}${path}`, bearer(drop))).status, path).toBe(403);
    expect((await agent.send('HEAD', String(location), bearer(drop))).status).toBe(404);
    // Not elsewhere in the export.
    const elsewhere = await upload(drop, 'Album/', 'x.bin', Buffer.from('x'));
    expect(elsewhere.started.status).toBe(403);
  });

  it("an upload's id answers only the scope that started it", async () => {
    const dropA = agent.token({ scope: { path: '/Dropbox', mode: 'drop' } });
    const started = await agent.send('POST', `${MOUNT}Dropbox/?upload`, {
      ...bearer(dropA),
      'upload-length': '4',
      'x-file-name': 'mine.txt',
    });
    expect(started.status).toBe(201);
    const location = String(started.headers.location);
    const id = new URL(location, 'http://x').searchParams.get('upload') ?? '';
    // A drop link of another folder is refused by its scope; a full browser credential finds no such upload.
    const dropB = agent.token({ scope: { path: '/Album', mode: 'drop' } });
    expect((await agent.send('HEAD', `${MOUNT}Album/?upload=${id}`, bearer(dropB))).status).toBe(404);
    expect((await agent.send('HEAD', location, bearer(dropB))).status).toBe(403);
    const full = agent.token();
    expect((await agent.send('HEAD', location, bearer(full))).status).toBe(404);
    expect((await agent.send('DELETE', location, bearer(full))).status).toBe(404);
    expect((await agent.send('HEAD', location, bearer(dropA))).status).toBe(204);
  });

  it('a view link zips its folder and nothing else, and cannot upload', async () => {
    const view = agent.token({ scope: { path: '/Album', mode: 'view' } });
    const zip = await agent.send('GET', `${MOUNT}Album/?zip`, bearer(view));
    expect(zip.status).toBe(200);
    expect((await agent.send('GET', `${MOUNT}?zip`, bearer(view))).status).toBe(403);
    const started = await agent.send('POST', `${MOUNT}Album/?upload`, {
      ...bearer(view),
      'upload-length': '1',
      'x-file-name': 'v.txt',
    });
    expect(started.status).toBe(403);
  });

  it('refuses uploads to a read-only credential, and PATCHes once the credential is revoked', async () => {
    const readonly = agent.token({ readonly: true });
    const refused = await agent.send('POST', `${MOUNT}Album/?upload`, {
      ...bearer(readonly),
      'upload-length': '1',
      'x-file-name': 'ro.txt',
    });
    expect(refused.status).toBe(403);
    const token = agent.token();
    const started = await agent.send('POST', `${MOUNT}Album/?upload`, {
      ...bearer(token),
      'upload-length': '4',
      'x-file-name': 'revoked.txt',
    });
    expect(started.status).toBe(201);
    agent.revoke(usernameOf(token));
    const patched = await agent.send(
      'PATCH',
      String(started.headers.location),
      { ...bearer(token), 'content-type': PATCH_TYPE, 'upload-offset': '0' },
      'data',
    );
    expect(patched.status).toBe(401);
    // The secret file elsewhere was never in reach.
    expect(readFileSync(join(agent.root, 'secret.txt'), 'utf8')).toBe('not shared');
  });
});
