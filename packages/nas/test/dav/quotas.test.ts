// Quotas on what a client can make the agent store: dead property size, count per resource and bytes per
// export (PROPPATCH and COPY), locks per resource and per export, and the cap on lock timeouts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DavTestServer,
  LOCK_EXCLUSIVE,
  LOCK_SHARED,
  lockTokenOf,
  PREFIX,
  propfindBody,
  send,
  startDavServer,
} from './dav-server.js';

const LIMITS = {
  maxPropertyBytes: 1024,
  maxPropertiesPerResource: 4,
  maxPropertyBytesPerExport: 8 * 1024,
  maxLocksPerResource: 3,
  maxLocksPerExport: 6,
};
let server: DavTestServer;

beforeAll(async () => {
  server = await startDavServer({
    handler: { limits: LIMITS, lockTimeouts: { defaultSeconds: 60, maxSeconds: 120 } },
  });
  for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt'])
    writeFileSync(join(server.root, name), name);
  mkdirSync(join(server.root, 'tree'));
  writeFileSync(join(server.root, 'tree', 'member.txt'), 'm');
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

const set = (props: Record<string, string>) =>
  `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>${Object.entries(
    props,
  )
    .map(([name, value]) => `<Z:${name}>${value}</Z:${name}>`)
    .join('')}</D:prop></D:set></D:propertyupdate>`;
const remove = (name: string) =>
  `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:remove><D:prop><Z:${name}/></D:prop></D:remove></D:propertyupdate>`;
const proppatch = (path: string, body: string) => send(server, 'PROPPATCH', `${PREFIX}${path}`, {}, body);
const stored = async (path: string, name: string) =>
  (
    await send(
      server,
      'PROPFIND',
      `${PREFIX}${path}`,
      { Depth: '0' },
      '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    )
  ).text.includes(`:${name}`);

describe('dead property quotas', () => {
  it('refuses a property value over the size cap with 403, and applies nothing of that PROPPATCH', async () => {
    const response = await proppatch('a.txt', set({ small: 'ok', big: 'x'.repeat(2000) }));
    expect(response.status).toBe(207);
    expect(response.text).toMatch(
      /:big[^>]*\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden<\/D:status><D:responsedescription>A property may take at most 1024 bytes/,
    );
    expect(response.text).toContain('HTTP/1.1 424 Failed Dependency');
    expect(await stored('a.txt', 'small')).toBe(false);
    expect((await proppatch('a.txt', set({ small: 'ok' }))).text).toContain('200 OK');
  });

  it('refuses more properties on one resource than the cap with 507, keeping what was there', async () => {
    expect((await proppatch('b.txt', set({ p1: '1', p2: '2', p3: '3', p4: '4' }))).text).toContain('200 OK');
    const over = await proppatch('b.txt', set({ p5: '5' }));
    expect(over.text).toContain('HTTP/1.1 507 Insufficient Storage');
    expect(over.text).toContain('at most 4 dead properties');
    expect(await stored('b.txt', 'p5')).toBe(false);
    // Replacing an existing property does not add one; removing always works.
    expect((await proppatch('b.txt', set({ p4: 'four' }))).text).toContain('200 OK');
    expect((await proppatch('b.txt', remove('p4'))).text).toContain('200 OK');
    expect((await proppatch('b.txt', set({ p5: '5' }))).text).toContain('200 OK');
  });

  it('refuses properties past the bytes of the export with 507, then accepts again once some are removed', async () => {
    const value = 'v'.repeat(900);
    let refused: string | undefined;
    for (const file of ['c.txt', 'd.txt', 'e.txt', 'f.txt']) {
      for (const name of ['q1', 'q2', 'q3']) {
        const response = await proppatch(file, set({ [name]: value }));
        if (response.text.includes('507')) {
          refused ??= `${file}/${name}`;
          expect(response.text).toContain('more than 8192 bytes');
        }
      }
    }
    expect(refused).toBeDefined();
    // A COPY that would duplicate properties past the quota is refused before anything is copied.
    const copy = await send(server, 'COPY', `${PREFIX}c.txt`, { Destination: `${PREFIX}c-copy.txt` });
    expect(copy.status).toBe(507);
    expect((await send(server, 'GET', `${PREFIX}c-copy.txt`)).status).toBe(404);
    for (const name of ['q1', 'q2', 'q3']) await proppatch('c.txt', remove(name));
    expect((await proppatch('f.txt', set({ q9: value }))).text).toContain('200 OK');
  });
});

describe('lock quotas', () => {
  it('refuses more shared locks on one resource than the cap with 507', async () => {
    for (let i = 0; i < LIMITS.maxLocksPerResource; i += 1) {
      expect((await send(server, 'LOCK', `${PREFIX}tree/member.txt`, {}, LOCK_SHARED)).status).toBe(200);
    }
    const over = await send(server, 'LOCK', `${PREFIX}tree/member.txt`, {}, LOCK_SHARED);
    expect(over.status).toBe(507);
    expect(over.text).toContain('the most it may have');
  });

  it('refuses more locks in the export than the cap with 507, and creates no file for a refused lock', async () => {
    const tokens: string[] = [];
    for (let i = 0; ; i += 1) {
      const response = await send(server, 'LOCK', `${PREFIX}locked-${i}.txt`, {}, LOCK_EXCLUSIVE);
      if (response.status !== 201) {
        expect(response.status).toBe(507);
        expect((await send(server, 'HEAD', `${PREFIX}locked-${i}.txt`)).status).toBe(404);
        break;
      }
      tokens.push(lockTokenOf(response));
      expect(i).toBeLessThan(LIMITS.maxLocksPerExport);
    }
    // 3 shared locks from the test above plus these reach the export's cap.
    expect(tokens.length + LIMITS.maxLocksPerResource).toBe(LIMITS.maxLocksPerExport);
    const first = tokens[0] ?? '';
    expect(
      (await send(server, 'UNLOCK', `${PREFIX}locked-0.txt`, { 'Lock-Token': `<${first}>` })).status,
    ).toBe(204);
    expect((await send(server, 'LOCK', `${PREFIX}locked-0.txt`, {}, LOCK_EXCLUSIVE)).status).toBe(200);
  });

  it('caps the lock timeout a client asks for, Infinite included', async () => {
    const own = await startDavServer({ handler: { lockTimeouts: { defaultSeconds: 60, maxSeconds: 120 } } });
    try {
      writeFileSync(join(own.root, 'x.txt'), 'x');
      for (const timeout of ['Infinite', 'Second-4100000000', 'Infinite, Second-30']) {
        const response = await send(own, 'LOCK', `${PREFIX}x.txt`, { Timeout: timeout }, LOCK_SHARED);
        expect(response.text).toContain('<D:timeout>Second-120</D:timeout>');
      }
      const found = await send(
        own,
        'PROPFIND',
        `${PREFIX}x.txt`,
        { Depth: '0' },
        propfindBody('lockdiscovery'),
      );
      expect(found.text).not.toContain('Infinite');
    } finally {
      await own.close();
    }
  });
});
