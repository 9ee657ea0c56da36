// Answers stay close to the size of their request: PROPFIND and PROPPATCH names are deduplicated and capped,
// each namespace is declared once, stored lock owners and property values are capped before they are built.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DAV_LIMITS } from '../../src/agent/dav/limits.js';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

let server: DavTestServer;
// The attack scripts' shape: a 2.3 KB namespace URI and as many empty elements as fit in a 1 MiB body.
const LONG_NS = `u:${'a'.repeat(2300)}`;
const MAX_BODY = 1024 * 1024;

beforeAll(async () => {
  server = await startDavServer();
  writeFileSync(join(server.root, 'hello.txt'), 'hello');
  for (let i = 0; i < 20; i += 1) writeFileSync(join(server.root, `f${i}.txt`), 'x');
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

/** `open` + as many copies of `element` as fit in about 1 MiB + `close`. */
function filled(open: string, element: string, close: string): string {
  const count = Math.floor((MAX_BODY - 4096 - open.length - close.length) / element.length);
  return open + element.repeat(count) + close;
}

const countOf = (text: string, part: string) => text.split(part).length - 1;

describe('PROPFIND names', () => {
  it('answers a 1 MiB body repeating one name in a long namespace with one small response', async () => {
    const body = filled(
      `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:a="${LONG_NS}"><D:prop>`,
      '<a:b/>',
      '</D:prop></D:propfind>',
    );
    const response = await send(server, 'PROPFIND', `${PREFIX}hello.txt`, { Depth: '0' }, body);
    expect(response.status).toBe(207);
    // Before: ~395 MB. The name is answered once and its namespace declared once.
    expect(response.body.length).toBeLessThan(LONG_NS.length + 1024);
    expect(countOf(response.text, LONG_NS)).toBe(1);
    expect(countOf(response.text, ':b/>')).toBe(1);
  });

  it('declares a namespace once for a whole Depth 1 listing, however many names and members', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `<a:n${i}/>`).join('');
    const body = `<D:propfind xmlns:D="DAV:" xmlns:a="${LONG_NS}"><D:prop>${names}</D:prop></D:propfind>`;
    const response = await send(server, 'PROPFIND', PREFIX, { Depth: '1' }, body);
    expect(response.status).toBe(207);
    expect(countOf(response.text, LONG_NS)).toBe(1);
    expect(countOf(response.text, '<D:response>')).toBe(22);
    expect(countOf(response.text, ':n199/>')).toBe(22);
  });

  it('refuses more distinct names than the cap with 413 and a message', async () => {
    const names = Array.from(
      { length: DEFAULT_DAV_LIMITS.maxPropertyNamesPerRequest + 1 },
      (_, i) => `<a:n${i}/>`,
    ).join('');
    const body = `<D:propfind xmlns:D="DAV:" xmlns:a="urn:a"><D:prop>${names}</D:prop></D:propfind>`;
    const response = await send(server, 'PROPFIND', `${PREFIX}hello.txt`, { Depth: '0' }, body);
    expect(response.status).toBe(413);
    expect(response.text).toContain('at most 256 properties');
  });

  it('refuses names taking more bytes than the cap with 413', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `<a:n${i}${'x'.repeat(2000)}/>`).join('');
    const body = `<D:propfind xmlns:D="DAV:" xmlns:a="urn:a"><D:prop>${names}</D:prop></D:propfind>`;
    const response = await send(server, 'PROPFIND', `${PREFIX}hello.txt`, { Depth: '0' }, body);
    expect(response.status).toBe(413);
    expect(response.text).toContain('at most 16384 bytes');
  });
});

describe('PROPPATCH', () => {
  const update = (inner: string, ns = 'urn:z') =>
    `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${ns}">${inner}</D:propertyupdate>`;

  it('refuses more operations than the cap with 413 at once, applying nothing', async () => {
    // The quadratic-time shape: protected properties first, then a mass of others to be failed with 424.
    const body = filled(
      update('<D:remove><D:prop><D:getetag/>', LONG_NS).replace('</D:propertyupdate>', ''),
      '<Z:a/>',
      '</D:prop></D:remove></D:propertyupdate>',
    );
    const started = Date.now();
    const response = await send(server, 'PROPPATCH', `${PREFIX}hello.txt`, {}, body);
    expect(response.status).toBe(413);
    expect(response.text).toContain('at most 256 properties');
    // Not a timing assertion: printed to compare with the 3.5 s the quadratic refusal took.
    console.log(
      `1 MiB PROPPATCH of ${countOf(body, '<Z:a/>')} operations answered in ${Date.now() - started} ms`,
    );
  });

  it('answers the cap of operations with each namespace declared once and each name listed once', async () => {
    const ops = Array.from({ length: 255 }, (_, i) => `<Z:p${i % 100}/>`).join('');
    const body = update(`<D:remove><D:prop><D:getetag/>${ops}</D:prop></D:remove>`, LONG_NS);
    const response = await send(server, 'PROPPATCH', `${PREFIX}hello.txt`, {}, body);
    expect(response.status).toBe(207);
    expect(response.text).toContain('HTTP/1.1 403 Forbidden');
    expect(response.text).toContain('HTTP/1.1 424 Failed Dependency');
    expect(countOf(response.text, LONG_NS)).toBe(1);
    expect(countOf(response.text, ':p42/>')).toBe(1);
  });

  it('refuses a value whose namespaces would be re-declared past the size cap, without building it', async () => {
    const body = filled(
      update(`<D:set><D:prop><Z:v xmlns:a="${LONG_NS}">`),
      '<a:b/>',
      '</Z:v></D:prop></D:set></D:propertyupdate>',
    ).replace(/<\/D:propertyupdate>(?=.*<\/D:propertyupdate>)/s, '');
    const response = await send(server, 'PROPPATCH', `${PREFIX}hello.txt`, {}, body);
    expect(response.status).toBe(207);
    expect(response.text).toContain('A property may take at most 65536 bytes');
    expect(response.body.length).toBeLessThan(4096);
  });
});

describe('LOCK owner', () => {
  const lockinfo = (owner: string) =>
    `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>${owner}</D:lockinfo>`;
  const storedOwners = () => server.db.prepare('SELECT owner FROM dav_locks').all() as { owner: string }[];

  it('refuses an owner past 4 KiB with 413 and stores nothing', async () => {
    const before = storedOwners().length;
    const body = filled(
      lockinfo(`<D:owner xmlns:a="${LONG_NS}">`).replace('</D:lockinfo>', ''),
      '<a:b/>',
      '</D:owner></D:lockinfo>',
    );
    const response = await send(server, 'LOCK', `${PREFIX}f1.txt`, { Timeout: 'Second-60' }, body);
    expect(response.status).toBe(413);
    expect(response.text).toContain("A lock's DAV:owner may take at most 4096 bytes");
    expect(response.body.length).toBeLessThan(1024);
    expect(storedOwners().length).toBe(before);
  });

  it('stores an owner with each namespace declared once, and shows it in lock discovery', async () => {
    const body = lockinfo(
      `<D:owner xmlns:a="urn:owner"><a:b/><a:b/><a:b/><D:href>mailto:x@y</D:href></D:owner>`,
    );
    const response = await send(server, 'LOCK', `${PREFIX}f2.txt`, { Timeout: 'Second-60' }, body);
    expect(response.status).toBe(200);
    const owner =
      '<D:owner xmlns:p0="urn:owner" xmlns:p1="DAV:"><p0:b/><p0:b/><p0:b/><p1:href>mailto:x@y</p1:href></D:owner>';
    expect(response.text).toContain(owner);
    expect(storedOwners().map((row) => row.owner)).toContain(owner);
    const discovery = await send(
      server,
      'PROPFIND',
      `${PREFIX}f2.txt`,
      { Depth: '0' },
      '<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>',
    );
    expect(discovery.text).toContain(owner);
  });
});
