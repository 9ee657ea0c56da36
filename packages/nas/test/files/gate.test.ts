// Who gets in through the browser's ways of presenting a credential: `Authorization: Bearer` and the
// `?access_token=` form (GET/HEAD only, taken out of the URL, never logged, answered with no-referrer), and
// every refusal: none, expired, forged, another export's, revoked, read-only writing.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeQueryToken } from '../../src/agent/files/access-token.js';
import {
  bearer,
  type FilesAgent,
  MOUNT,
  OTHER_EXPORT_ID,
  OTHER_MOUNT,
  startFilesAgent,
  usernameOf,
} from './files-agent.js';

let agent: FilesAgent;
const issued: string[] = [];
const token = (options: Parameters<FilesAgent['token']>[0] = {}) => {
  const value = agent.token(options);
  issued.push(value);
  return value;
};

beforeAll(async () => {
  agent = await startFilesAgent();
  writeFileSync(join(agent.root, 'hello.txt'), 'hello');
  mkdirSync(join(agent.root, 'folder'));
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

describe('presenting a credential', () => {
  it('accepts a Bearer token, the username taken from its verified claims', async () => {
    const response = await agent.send('GET', `${MOUNT}hello.txt`, bearer(token()));
    expect(response.status).toBe(200);
    expect(response.text).toBe('hello');
  });

  it('still accepts Basic (mounts are unchanged)', async () => {
    const value = token();
    const basic = Buffer.from(`${usernameOf(value)}:${value}`).toString('base64');
    const response = await agent.send('GET', `${MOUNT}hello.txt`, { authorization: `Basic ${basic}` });
    expect(response.status).toBe(200);
  });

  it('accepts ?access_token= on GET and HEAD, with Referrer-Policy: no-referrer', async () => {
    const value = token();
    const get = await agent.send('GET', `${MOUNT}hello.txt?access_token=${encodeURIComponent(value)}`);
    expect(get.status).toBe(200);
    expect(get.text).toBe('hello');
    expect(get.headers['referrer-policy']).toBe('no-referrer');
    const head = await agent.send('HEAD', `${MOUNT}hello.txt?download&access_token=${value}`);
    expect(head.status).toBe(200);
    expect(head.headers['content-disposition']).toContain('attachment');
  });

  it('takes the token out of the URL before the files API reads the query', async () => {
    const value = token();
    const response = await agent.send('GET', `${MOUNT}?access_token=${value}&list`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ path: '/' });
  });

  it('takes every access_token out of request.url, keeping the rest of the query as sent', () => {
    const request = { url: '/dav/files/a%20b.txt?download&access_token=abc.def&x=1&access_token=ghi' };
    // takeQueryToken reads and writes only `url`.
    expect(takeQueryToken(request as Parameters<typeof takeQueryToken>[0])).toEqual({ kind: 'malformed' });
    expect(request.url).toBe('/dav/files/a%20b.txt?download&x=1');
    const single = { url: '/dav/files/?access_token=abc.def' };
    expect(takeQueryToken(single as Parameters<typeof takeQueryToken>[0])).toEqual({
      kind: 'token',
      token: 'abc.def',
    });
    expect(single.url).toBe('/dav/files/');
  });

  it('refuses a token in the URL on anything but GET and HEAD, and writes nothing', async () => {
    const value = token();
    for (const [method, path] of [
      ['PUT', 'planted.txt'],
      ['MKCOL', 'planted-folder'],
      ['DELETE', 'hello.txt'],
      ['PROPFIND', ''],
      ['POST', '?upload'],
    ] as const) {
      const separator = path.includes('?') ? '&' : '?';
      const response = await agent.send(
        method,
        `${MOUNT}${path}${separator}access_token=${value}`,
        { 'upload-length': '5', 'x-file-name': 'planted.txt' },
        method === 'PUT' ? 'plant' : undefined,
      );
      expect(response.status, method).toBe(401);
    }
    expect(existsSync(join(agent.root, 'planted.txt'))).toBe(false);
    expect(existsSync(join(agent.root, 'planted-folder'))).toBe(false);
    expect(existsSync(join(agent.root, 'hello.txt'))).toBe(true);
  });

  it('refuses access_token given twice', async () => {
    const value = token();
    const response = await agent.send('GET', `${MOUNT}hello.txt?access_token=${value}&access_token=${value}`);
    expect(response.status).toBe(401);
  });

  it('answers a refused Bearer with a Bearer challenge (a Basic one would pop a login box in the browser)', async () => {
    const response = await agent.send('GET', `${MOUNT}hello.txt`, bearer('not-a-token'));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    const plain = await agent.send('GET', `${MOUNT}hello.txt`);
    expect(plain.headers['www-authenticate']).toMatch(/^Basic /);
  });
});

describe('refusals', () => {
  it('refuses no credential', async () => {
    expect((await agent.send('GET', `${MOUNT}hello.txt`)).status).toBe(401);
    expect((await agent.send('GET', `${MOUNT}?list`)).status).toBe(401);
    expect((await agent.send('GET', `${MOUNT}?watch`)).status).toBe(401);
  });

  it('refuses an expired credential, as header and in the URL', async () => {
    const expired = token({ ttlSeconds: -1 });
    expect((await agent.send('GET', `${MOUNT}hello.txt`, bearer(expired))).status).toBe(401);
    expect((await agent.send('GET', `${MOUNT}hello.txt?access_token=${expired}`)).status).toBe(401);
    expect((await agent.send('GET', `${MOUNT}?list`, bearer(expired))).status).toBe(401);
  });

  it('refuses a forged credential (claims changed after signing)', async () => {
    const value = token({ readonly: true });
    const [payload, tag] = value.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, r: 0 })).toString('base64url')}.${tag}`;
    expect((await agent.send('PUT', `${MOUNT}forged.txt`, bearer(forged), 'x')).status).toBe(401);
    expect(existsSync(join(agent.root, 'forged.txt'))).toBe(false);
  });

  it("refuses another export's credential with 403", async () => {
    const other = token({ exportId: OTHER_EXPORT_ID });
    expect((await agent.send('GET', `${MOUNT}hello.txt`, bearer(other))).status).toBe(403);
    expect((await agent.send('GET', `${MOUNT}?list`, bearer(other))).status).toBe(403);
    expect((await agent.send('GET', `${OTHER_MOUNT}?list`, bearer(other))).status).toBe(200);
  });

  it('refuses a revoked credential at once', async () => {
    const value = token();
    expect((await agent.send('GET', `${MOUNT}?list`, bearer(value))).status).toBe(200);
    agent.revoke(usernameOf(value));
    expect((await agent.send('GET', `${MOUNT}?list`, bearer(value))).status).toBe(401);
    expect((await agent.send('GET', `${MOUNT}hello.txt?access_token=${value}`)).status).toBe(401);
  });

  it('refuses every write to a read-only credential, the files API included', async () => {
    const value = token({ readonly: true });
    for (const [method, path] of [
      ['PUT', 'ro.txt'],
      ['MKCOL', 'ro-folder'],
      ['DELETE', 'hello.txt'],
      ['MOVE', 'hello.txt'],
      ['POST', '?upload'],
      ['PATCH', '?upload=abc'],
      ['DELETE', '?upload=abc'],
    ] as const) {
      const response = await agent.send(
        method,
        `${MOUNT}${path}`,
        { ...bearer(value), destination: `${MOUNT}moved.txt`, 'upload-length': '2', 'x-file-name': 'ro.txt' },
        method === 'PUT' || method === 'PATCH' ? 'ro' : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect(existsSync(join(agent.root, 'ro.txt'))).toBe(false);
    expect(existsSync(join(agent.root, 'hello.txt'))).toBe(true);
    expect((await agent.send('GET', `${MOUNT}?list`, bearer(value))).status).toBe(200);
  });

  it('refuses a files operation with the wrong method, or two at once', async () => {
    const value = token();
    expect((await agent.send('PUT', `${MOUNT}?list`, bearer(value), 'x')).status).toBe(405);
    expect((await agent.send('GET', `${MOUNT}?list&watch`, bearer(value))).status).toBe(400);
  });

  it('never writes a token to the log', () => {
    // Runs last in the file: every token above has been presented, refused ones included.
    expect(agent.logs.length).toBeGreaterThan(0);
    for (const value of issued) {
      const signature = value.slice(value.indexOf('.') + 1);
      for (const line of agent.logs) expect(line).not.toContain(signature);
    }
  });
});
