// Share links' scoped credentials at the agent: a `view` scope reads its file or folder and nothing else, a
// `drop` scope only adds new files to its folder; any other path is 403 before a handler runs — the traversal
// corpus, symlinks inside the export leading out of the scope, and every files operation included.

import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAVERSAL_CASES } from '../support/traversal-corpus.js';
import { bearer, type FilesAgent, MOUNT, startFilesAgent } from './files-agent.js';

const PRIVATE = 'PRIVATE: outside the shared folder';

let agent: FilesAgent;
let view: string;
let fileView: string;
let drop: string;

beforeAll(async () => {
  agent = await startFilesAgent();
  const { root } = agent;
  // root/shared/ is shared; root/private/ and root/secret.txt are not.
  mkdirSync(join(root, 'shared', 'sub'), { recursive: true });
  writeFileSync(join(root, 'shared', 'inside.txt'), 'inside');
  writeFileSync(join(root, 'shared', 'sub', 'deep.txt'), 'deep');
  mkdirSync(join(root, 'shared', 'folder'));
  writeFileSync(join(root, 'shared', 'folder', 'secret.txt'), 'in scope');
  mkdirSync(join(root, 'private'));
  writeFileSync(join(root, 'private', 'secret.txt'), PRIVATE);
  writeFileSync(join(root, 'secret.txt'), PRIVATE);
  writeFileSync(join(root, 'shared-sibling.txt'), PRIVATE);
  // Symlinks inside the export (WebDAV follows them) that lead out of the shared folder.
  symlinkSync(join(root, 'private'), join(root, 'shared', 'dir-link'));
  symlinkSync(join(root, 'secret.txt'), join(root, 'shared', 'file-link'));
  symlinkSync('../private/secret.txt', join(root, 'shared', 'relative-link'));
  symlinkSync(join(root, 'shared', 'inside.txt'), join(root, 'shared', 'inner-link'));
  mkdirSync(join(root, 'dropbox'));
  writeFileSync(join(root, 'dropbox', 'taken.txt'), 'first');
  symlinkSync(join(root, 'private'), join(root, 'dropbox', 'dir-link'));
  view = agent.token({ username: 'share-view', scope: { path: '/shared', mode: 'view' } });
  fileView = agent.token({ username: 'share-file', scope: { path: '/shared/inside.txt', mode: 'view' } });
  drop = agent.token({ username: 'share-drop', scope: { path: '/dropbox', mode: 'drop' } });
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

const expectRefused = (response: { status: number; text: string }) => {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.text).not.toContain(PRIVATE);
};

describe('a view scope on a folder', () => {
  it('reads its folder and below: GET, HEAD, PROPFIND, ?list, ?download', async () => {
    expect((await agent.send('GET', `${MOUNT}shared/inside.txt`, bearer(view))).text).toBe('inside');
    expect((await agent.send('GET', `${MOUNT}shared/sub/deep.txt`, bearer(view))).text).toBe('deep');
    expect((await agent.send('HEAD', `${MOUNT}shared/inside.txt`, bearer(view))).status).toBe(200);
    expect((await agent.send('PROPFIND', `${MOUNT}shared/`, { ...bearer(view), depth: '1' })).status).toBe(
      207,
    );
    const list = await agent.send('GET', `${MOUNT}shared/?list`, bearer(view));
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).entries.map((entry: { name: string }) => entry.name)).toContain(
      'inside.txt',
    );
    const download = await agent.send('GET', `${MOUNT}shared/inside.txt?download`, bearer(view));
    expect(download.headers['content-disposition']).toContain('attachment');
    expect((await agent.send('GET', `${MOUNT}shared/inner-link`, bearer(view))).text).toBe('inside');
  });

  it('leaves symlinks leading out of the scope out of its listing, keeps those inside', async () => {
    const list = await agent.send('GET', `${MOUNT}shared/?list`, bearer(view));
    const names = (JSON.parse(list.text) as { entries: { name: string }[] }).entries.map(
      (entry) => entry.name,
    );
    expect(names.sort()).toEqual(['folder', 'inner-link', 'inside.txt', 'sub']);
    // An unscoped credential sees them (they stay inside the export).
    const whole = await agent.send('GET', `${MOUNT}shared/?list`, bearer(agent.token()));
    expect(whole.text).toContain('dir-link');
    // So do PROPFIND and the HTML page of the folder.
    const propfind = await agent.send('PROPFIND', `${MOUNT}shared/`, { ...bearer(view), depth: '1' });
    expect(propfind.status).toBe(207);
    expect(propfind.text).toContain('inner-link');
    const page = await agent.send('GET', `${MOUNT}shared/`, bearer(view));
    expect(page.status).toBe(200);
    expect(page.text).toContain('inner-link');
    for (const name of ['dir-link', 'file-link', 'relative-link']) {
      expect(propfind.text).not.toContain(name);
      expect(page.text).not.toContain(name);
    }
  });

  it('refuses every path outside it with 403, whatever the method or operation', async () => {
    for (const path of [
      '',
      'secret.txt',
      'private/',
      'private/secret.txt',
      'shared-sibling.txt',
      'sharedx/',
    ]) {
      for (const [method, query] of [
        ['GET', ''],
        ['HEAD', ''],
        ['PROPFIND', ''],
        ['GET', '?list'],
        ['GET', '?watch'],
        ['GET', '?zip'],
        ['GET', '?download'],
      ] as const) {
        const response = await agent.send(method, `${MOUNT}${path}${query}`, { ...bearer(view), depth: '1' });
        expect(response.status, `${method} ${path}${query}`).toBe(403);
        expect(response.text).not.toContain(PRIVATE);
      }
    }
    const viaUrl = await agent.send('GET', `${MOUNT}secret.txt?access_token=${view}`);
    expect(viaUrl.status).toBe(403);
  });

  it('refuses every write inside it', async () => {
    for (const [method, path] of [
      ['PUT', 'shared/new.txt'],
      ['PUT', 'shared/inside.txt'],
      ['MKCOL', 'shared/new-folder'],
      ['DELETE', 'shared/inside.txt'],
      ['MOVE', 'shared/inside.txt'],
      ['COPY', 'shared/inside.txt'],
      ['PROPPATCH', 'shared/inside.txt'],
      ['LOCK', 'shared/inside.txt'],
      ['POST', 'shared/?upload'],
    ] as const) {
      const response = await agent.send(
        method,
        `${MOUNT}${path}`,
        {
          ...bearer(view),
          destination: `${MOUNT}shared/copied.txt`,
          'upload-length': '1',
          'x-file-name': 'a',
        },
        method === 'PUT' ? 'overwritten' : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect(readFileSync(join(agent.root, 'shared', 'inside.txt'), 'utf8')).toBe('inside');
    expect(existsSync(join(agent.root, 'shared', 'new.txt'))).toBe(false);
    expect(existsSync(join(agent.root, 'shared', 'copied.txt'))).toBe(false);
  });

  it('refuses symlinks inside the shared folder that lead elsewhere in the export', async () => {
    for (const path of [
      'shared/dir-link/secret.txt',
      'shared/dir-link/',
      'shared/dir-link/?list',
      'shared/dir-link/?watch',
      'shared/file-link',
      'shared/relative-link',
      'shared/file-link?download',
    ]) {
      const response = await agent.send('GET', `${MOUNT}${path}`, bearer(view));
      expect(response.status, path).toBe(403);
      expect(response.text).not.toContain(PRIVATE);
    }
  });

  describe('the traversal corpus, appended to the shared folder', () => {
    for (const [name, rest, davStatus] of TRAVERSAL_CASES) {
      it(`refuses ${name}: ${rest}`, async () => {
        for (const query of ['', '?list', '?download', '?watch', '?zip']) {
          const response = await agent.send('GET', `${MOUNT}shared/${rest}${query}`, bearer(view));
          // WebDAV's 404s are literal names inside the scope (decoded once): absent, never an escape.
          if (davStatus === 404) expect(response.status).not.toBe(200);
          else expectRefused(response);
          expect(response.text).not.toContain(PRIVATE);
        }
        // and in the `access_token` form
        expectRefused(await agent.send('GET', `${MOUNT}shared/${rest}?access_token=${view}`));
      });
    }
  });
});

describe('a view scope on a file', () => {
  it('reads that file only', async () => {
    expect((await agent.send('GET', `${MOUNT}shared/inside.txt`, bearer(fileView))).text).toBe('inside');
    for (const path of [
      'shared/',
      'shared/?list',
      'shared/sub/deep.txt',
      'shared/inside.txt.bak',
      'shared/inside.txt/x',
    ])
      expect(
        (await agent.send('GET', `${MOUNT}${path}`, bearer(fileView))).status,
        path,
      ).toBeGreaterThanOrEqual(403);
    expect((await agent.send('GET', `${MOUNT}shared/sub/deep.txt`, bearer(fileView))).status).toBe(403);
  });
});

describe('a drop scope', () => {
  it('adds a new file directly in its folder with PUT', async () => {
    const response = await agent.send('PUT', `${MOUNT}dropbox/new.txt`, bearer(drop), 'dropped');
    expect(response.status).toBe(201);
    expect(readFileSync(join(agent.root, 'dropbox', 'new.txt'), 'utf8')).toBe('dropped');
  });

  it('never overwrites: an existing name is 412', async () => {
    const response = await agent.send('PUT', `${MOUNT}dropbox/taken.txt`, bearer(drop), 'second');
    expect(response.status).toBe(412);
    expect(readFileSync(join(agent.root, 'dropbox', 'taken.txt'), 'utf8')).toBe('first');
  });

  it('cannot read, list, watch, zip, download or probe anything, not even its own folder', async () => {
    for (const [method, path] of [
      ['GET', 'dropbox/taken.txt'],
      ['HEAD', 'dropbox/taken.txt'],
      ['GET', 'dropbox/'],
      ['PROPFIND', 'dropbox/'],
      ['PROPFIND', 'dropbox/taken.txt'],
      ['GET', 'dropbox/?list'],
      ['GET', 'dropbox/?watch'],
      ['GET', 'dropbox/?zip'],
      ['GET', 'dropbox/taken.txt?download'],
    ] as const) {
      const response = await agent.send(method, `${MOUNT}${path}`, { ...bearer(drop), depth: '1' });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.text).not.toContain('first');
      expect(response.text).not.toContain('taken.txt');
    }
  });

  it('cannot write into a subfolder, through a symlink, outside, or anything but a new file', async () => {
    mkdirSync(join(agent.root, 'dropbox', 'sub'), { recursive: true });
    for (const [method, path] of [
      ['PUT', 'dropbox/sub/x.txt'],
      ['PUT', 'dropbox/dir-link/x.txt'],
      ['PUT', 'dropbox/'],
      ['PUT', 'elsewhere.txt'],
      ['PUT', 'private/x.txt'],
      ['MKCOL', 'dropbox/folder'],
      ['DELETE', 'dropbox/taken.txt'],
      ['MOVE', 'dropbox/taken.txt'],
      ['POST', 'dropbox/sub/?upload'],
      ['POST', '?upload'],
    ] as const) {
      const response = await agent.send(
        method,
        `${MOUNT}${path}`,
        { ...bearer(drop), destination: `${MOUNT}dropbox/moved.txt` },
        method === 'PUT' ? 'x' : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect(existsSync(join(agent.root, 'dropbox', 'sub', 'x.txt'))).toBe(false);
    expect(existsSync(join(agent.root, 'private', 'x.txt'))).toBe(false);
    expect(existsSync(join(agent.root, 'elsewhere.txt'))).toBe(false);
    expect(readFileSync(join(agent.root, 'dropbox', 'taken.txt'), 'utf8')).toBe('first');
  });

  it('reaches the upload operations on its folder (not refused by the scope)', async () => {
    const response = await agent.send('POST', `${MOUNT}dropbox/?upload`, {
      ...bearer(drop),
      'upload-length': '4',
      'x-file-name': 'up.txt',
    });
    expect(response.status).not.toBe(403);
    expect(response.status).not.toBe(401);
  });

  describe('the traversal corpus, appended to the drop folder', () => {
    for (const [name, rest, davStatus] of TRAVERSAL_CASES) {
      it(`refuses PUT of ${name}: ${rest}`, async () => {
        const response = await agent.send('PUT', `${MOUNT}dropbox/${rest}`, bearer(drop), 'planted');
        // WebDAV's 404s are literal names (decoded once): one name is dropped as such inside the drop
        // folder, a deeper path is a subfolder (refused).
        const literal = davStatus === 404 ? decodeURIComponent(rest) : '';
        if (davStatus === 404 && !literal.includes('/')) {
          expect(response.status).toBe(201);
          expect(existsSync(join(agent.root, 'dropbox', literal))).toBe(true);
        } else expectRefused(response);
        expect(existsSync(join(agent.root, 'secret.txt'))).toBe(true);
        expect(readFileSync(join(agent.root, 'secret.txt'), 'utf8')).toBe(PRIVATE);
      });
    }
  });
});
