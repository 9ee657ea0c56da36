// PROPFIND and PROPPATCH: live properties, 404 propstats, depth rules, and dead properties that persist, follow
// COPY and MOVE, and change all or nothing.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, propfindBody, send, startDavServer } from './dav-server.js';

const db = openDatabase(':memory:');
let server: DavTestServer;

beforeAll(async () => {
  server = await startDavServer({ db });
  writeFileSync(join(server.root, 'doc.txt'), 'hello');
  mkdirSync(join(server.root, 'folder'));
  for (const name of ['a.txt', 'b.txt', 'c d.txt']) writeFileSync(join(server.root, 'folder', name), name);
  mkdirSync(join(server.root, 'folder', 'sub'));
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

const propfind = (path: string, depth: string, body?: string) =>
  send(server, 'PROPFIND', `${PREFIX}${path}`, { Depth: depth }, body);
const proppatch = (path: string, body: string, headers: Record<string, string> = {}) =>
  send(server, 'PROPPATCH', `${PREFIX}${path}`, headers, body);
const update = (inner: string) =>
  `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z">${inner}</D:propertyupdate>`;

describe('PROPFIND', () => {
  it('answers allprop (empty body) on a file with every live property but the quotas', async () => {
    const response = await propfind('doc.txt', '0');
    expect(response.status).toBe(207);
    expect(response.headers['content-type']).toBe('application/xml; charset=utf-8');
    for (const element of [
      '<D:resourcetype/>',
      '<D:getcontentlength>5</D:getcontentlength>',
      '<D:getcontenttype>text/plain</D:getcontenttype>',
      '<D:getlastmodified>',
      '<D:creationdate>',
      '<D:getetag>"',
      '<D:displayname>doc.txt</D:displayname>',
      '<D:supportedlock><D:lockentry>',
      '<D:lockdiscovery/>',
    ]) {
      expect(response.text).toContain(element);
    }
    expect(response.text).not.toContain('quota');
  });

  it('lists a folder and its members with Depth 1, hrefs encoded, collections with a slash', async () => {
    const response = await propfind('folder/', '1', propfindBody('resourcetype'));
    const hrefs = [...response.text.matchAll(/<D:href>([^<]+)<\/D:href>/g)].map((match) => match[1]);
    expect(hrefs.sort()).toEqual(
      [
        `${PREFIX}folder/`,
        `${PREFIX}folder/a.txt`,
        `${PREFIX}folder/b.txt`,
        `${PREFIX}folder/c%20d.txt`,
        `${PREFIX}folder/sub/`,
      ].sort(),
    );
    expect(response.text).toContain('<D:resourcetype><D:collection/></D:resourcetype>');
  });

  it('streams a folder of 2,000 files whole, multi-byte names intact, dead properties in every batch', async () => {
    // Large enough to be written in several batches; each name has two-byte and four-byte UTF-8 characters.
    mkdirSync(join(server.root, 'many'));
    for (let index = 0; index < 2000; index += 1) {
      writeFileSync(join(server.root, 'many', `été-${index}-🙂.txt`), String(index));
    }
    for (const index of [0, 1999]) {
      const name = encodeURIComponent(`été-${index}-🙂.txt`);
      const set = await proppatch(
        `many/${name}`,
        update(`<D:set><D:prop><Z:tag>n${index}</Z:tag></D:prop></D:set>`),
      );
      expect(set.status).toBe(207);
    }
    const response = await propfind('many/', '1');
    expect(response.status).toBe(207);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.text.match(/<\/D:response>/g)).toHaveLength(2001);
    expect(response.text.startsWith('<?xml')).toBe(true);
    expect(response.text.endsWith('</D:multistatus>')).toBe(true);
    expect(response.text).toContain('<D:displayname>été-1999-🙂.txt</D:displayname>');
    expect(response.text).toContain(`<D:href>${PREFIX}many/${encodeURIComponent('été-0-🙂.txt')}</D:href>`);
    for (const index of [0, 1999]) expect(response.text).toMatch(new RegExp(`>n${index}</[A-Za-z0-9]+:tag>`));
  });

  it('answers unknown and inapplicable properties in a 404 propstat', async () => {
    const body =
      '<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop><D:getcontentlength/><X:nothing/><D:getetag/></D:prop></D:propfind>';
    const response = await propfind('folder/', '0', body);
    expect(response.text).toMatch(
      /<D:propstat><D:prop><D:getetag>.*<\/D:getetag><\/D:prop><D:status>HTTP\/1.1 200 OK/,
    );
    // The requested names' namespaces are declared once, on the multistatus.
    expect(response.text).toContain('<D:multistatus xmlns:D="DAV:" xmlns:n0="urn:x">');
    expect(response.text).toContain(
      '<D:propstat><D:prop><D:getcontentlength/><n0:nothing/></D:prop><D:status>HTTP/1.1 404 Not Found',
    );
  });

  it('reports the filesystem quota when asked', async () => {
    const response = await propfind('', '0', propfindBody('quota-available-bytes', 'quota-used-bytes'));
    expect(response.text).toMatch(/<D:quota-available-bytes>\d+<\/D:quota-available-bytes>/);
    expect(response.text).toMatch(/<D:quota-used-bytes>\d+<\/D:quota-used-bytes>/);
  });

  it('answers propname with names only', async () => {
    const response = await propfind('doc.txt', '0', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
    expect(response.text).toContain('<D:getetag/>');
    expect(response.text).not.toContain('<D:getetag>"');
  });

  it('refuses Depth: infinity, and a missing Depth (which means infinity), with propfind-finite-depth', async () => {
    for (const headers of [{ Depth: 'infinity' }, {}]) {
      const response = await send(server, 'PROPFIND', PREFIX, headers);
      expect(response.status).toBe(403);
      expect(response.text).toContain('<D:propfind-finite-depth/>');
    }
  });

  it('answers 404 for a missing resource and 400 for a bad Depth', async () => {
    expect((await propfind('missing', '0')).status).toBe(404);
    expect((await propfind('', 'two')).status).toBe(400);
  });
});

describe('PROPPATCH', () => {
  it('sets, reads and removes dead properties, namespaces and xml:lang kept', async () => {
    const set = await proppatch(
      'doc.txt',
      update(
        '<D:set><D:prop><Z:color xml:lang="en">blue</Z:color><Z:shape><Z:corner n="4" xmlns:Q="urn:q"><Q:q/></Z:corner></Z:shape></D:prop></D:set>',
      ),
    );
    expect(set.status).toBe(207);
    expect(set.text).toContain('HTTP/1.1 200 OK');
    const read = await propfind(
      'doc.txt',
      '0',
      '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop><Z:color/><Z:shape/></D:prop></D:propfind>',
    );
    expect(read.text).toContain('<D:multistatus xmlns:D="DAV:" xmlns:n0="urn:example:z">');
    expect(read.text).toContain('<n0:color xml:lang="en">blue</n0:color>');
    expect(read.text).toContain(
      '<p0:corner xmlns:p0="urn:example:z" n="4"><p1:q xmlns:p1="urn:q"/></p0:corner>',
    );
    await proppatch('doc.txt', update('<D:remove><D:prop><Z:color/></D:prop></D:remove>'));
    const after = await propfind(
      'doc.txt',
      '0',
      '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop><Z:color/></D:prop></D:propfind>',
    );
    expect(after.text).toContain('404 Not Found');
  });

  it('refuses protected live properties with 403 and fails the rest with 424, changing nothing', async () => {
    const response = await proppatch(
      'doc.txt',
      update('<D:set><D:prop><Z:ok>1</Z:ok><D:getetag>"forged"</D:getetag></D:prop></D:set>'),
    );
    expect(response.status).toBe(207);
    expect(response.text).toContain(
      '<D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:error><D:cannot-modify-protected-property/>',
    );
    expect(response.text).toContain('<D:response xmlns:n0="urn:example:z">');
    expect(response.text).toContain('<D:prop><n0:ok/></D:prop><D:status>HTTP/1.1 424 Failed Dependency');
    const read = await propfind(
      'doc.txt',
      '0',
      '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop><Z:ok/></D:prop></D:propfind>',
    );
    expect(read.text).toContain('404 Not Found');
  });

  it('lets a client set displayname, which then replaces the computed one', async () => {
    await proppatch(
      'folder/a.txt',
      update('<D:set><D:prop><D:displayname>Alpha</D:displayname></D:prop></D:set>'),
    );
    const response = await propfind('folder/a.txt', '0');
    expect(response.text).toContain('<D:displayname>Alpha</D:displayname>');
    expect(response.text).not.toContain('<D:displayname>a.txt</D:displayname>');
  });

  it('keeps dead properties in SQLite for the next handler', async () => {
    await proppatch('doc.txt', update('<D:set><D:prop><Z:persisted>yes</Z:persisted></D:prop></D:set>'));
    const again = await startDavServer({ db, root: server.root });
    const read = await send(again, 'PROPFIND', `${PREFIX}doc.txt`, { Depth: '0' });
    // A stored property's namespace is declared once, on its D:response.
    expect(read.text).toContain('<D:response xmlns:r0="urn:example:z">');
    expect(read.text).toContain('<r0:persisted>yes</r0:persisted>');
    await again.close();
  });

  it('copies dead properties with COPY, moves them with MOVE, and drops them with DELETE', async () => {
    writeFileSync(join(server.root, 'tagged.txt'), 'x');
    mkdirSync(join(server.root, 'tree'));
    writeFileSync(join(server.root, 'tree', 'leaf.txt'), 'leaf');
    await proppatch('tagged.txt', update('<D:set><D:prop><Z:tag>t1</Z:tag></D:prop></D:set>'));
    await proppatch('tree/leaf.txt', update('<D:set><D:prop><Z:tag>leaf</Z:tag></D:prop></D:set>'));
    const tagOf = async (path: string) =>
      (
        await propfind(
          path,
          '0',
          '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop><Z:tag/></D:prop></D:propfind>',
        )
      ).text;

    await send(server, 'COPY', `${PREFIX}tagged.txt`, { Destination: `${PREFIX}tagged-copy.txt` });
    expect(await tagOf('tagged-copy.txt')).toContain('>t1<');
    await send(server, 'MOVE', `${PREFIX}tree/`, { Destination: `${PREFIX}moved-tree/` });
    expect(await tagOf('moved-tree/leaf.txt')).toContain('>leaf<');
    await send(server, 'DELETE', `${PREFIX}tagged.txt`);
    await send(server, 'PUT', `${PREFIX}tagged.txt`, {}, 'new file, same name');
    expect(await tagOf('tagged.txt')).toContain('404 Not Found');
  });

  it('answers 400 to a body that is not a propertyupdate, and 404 on a missing resource', async () => {
    expect((await proppatch('doc.txt', '<D:propfind xmlns:D="DAV:"/>')).status).toBe(400);
    expect((await proppatch('doc.txt', '')).status).toBe(400);
    expect((await proppatch('missing.txt', update('<D:set><D:prop><Z:a/></D:prop></D:set>'))).status).toBe(
      404,
    );
  });
});
