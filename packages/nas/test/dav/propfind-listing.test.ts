// PROPFIND Depth 1 of a folder read, stated and rendered a batch at a time: complete and well-formed, every
// live property equal to the file's own stats, dead properties and locks on the members that have them.

import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creationMs, etagOf } from '../../src/agent/dav/etag.js';
import { fastHttpDate, fastIsoDate } from '../../src/agent/dav/props/dates.js';
import {
  type DavTestServer,
  LOCK_EXCLUSIVE,
  lockTokenOf,
  PREFIX,
  send,
  startDavServer,
} from './dav-server.js';

/** Several batches of 256, and a last one that is not full. */
const FILES = 5_000;
const DEAD_AT = [0, 255, 256, 2_500, FILES - 1];
const LOCKED_AT = 1_000;
const name = (index: number) => `f-${index}${index % 7 === 0 ? ' & <été>' : ''}.txt`;

let server: DavTestServer;
let folder: string;
let lockToken: string;

const RCLONE_BODY =
  '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:displayname/>' +
  '<d:getlastmodified/><d:getcontentlength/><d:resourcetype/><d:getcontenttype/><oc:checksums/>' +
  '<oc:permissions/></d:prop></d:propfind>';

beforeAll(async () => {
  server = await startDavServer();
  folder = join(server.root, 'big');
  mkdirSync(folder);
  for (let index = 0; index < FILES; index += 1)
    writeFileSync(join(folder, name(index)), 'x'.repeat(index % 50));
  mkdirSync(join(folder, 'sub'));
  // A link inside the export is listed as what it points to; one leading outside is left out.
  symlinkSync(join(folder, name(1)), join(folder, 'link-inside.txt'));
  const outside = tempDir('homeport-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'no');
  symlinkSync(join(outside, 'secret.txt'), join(folder, 'link-outside.txt'));
  // A sibling folder whose name extends this one's: its properties must not show up in this listing.
  mkdirSync(join(server.root, 'big2'));
  writeFileSync(join(server.root, 'big2', name(0)), 'other');
  const patch = (path: string, value: string) =>
    send(
      server,
      'PROPPATCH',
      `${PREFIX}${path}`,
      {},
      `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:set><D:prop>` +
        `<oc:checksums>${value}</oc:checksums></D:prop></D:set></D:propertyupdate>`,
    );
  for (const index of DEAD_AT)
    expect((await patch(`big/${encodeURIComponent(name(index))}`, `sha1:${index}`)).status).toBe(207);
  expect((await patch(`big2/${encodeURIComponent(name(0))}`, 'sha1:other')).status).toBe(207);
  const locked = await send(
    server,
    'LOCK',
    `${PREFIX}big/${encodeURIComponent(name(LOCKED_AT))}`,
    {},
    LOCK_EXCLUSIVE,
  );
  expect(locked.status).toBe(200);
  lockToken = lockTokenOf(locked);
}, 120_000);

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

/** Parses a multistatus (refusing anything not well-formed) into href → the text of its D:response. */
function responsesOf(xml: string): Map<string, string> {
  const parser = new SaxesParser({ xmlns: true });
  parser.on('error', (error) => {
    throw error;
  });
  let depth = 0;
  let href = '';
  let inHref = false;
  const hrefs: string[] = [];
  parser.on('opentag', (tag) => {
    depth += 1;
    if (depth === 3 && tag.local === 'href' && tag.uri === 'DAV:') inHref = true;
  });
  parser.on('text', (text) => {
    if (inHref) href += text;
  });
  parser.on('closetag', (tag) => {
    if (inHref && tag.local === 'href') {
      inHref = false;
      hrefs.push(href);
      href = '';
    }
    depth -= 1;
  });
  parser.write(xml).close();
  const texts = xml.split('</D:response>').slice(0, -1);
  expect(texts).toHaveLength(hrefs.length);
  const byHref = new Map<string, string>();
  texts.forEach((text, index) => {
    const key = hrefs[index] ?? '';
    expect(byHref.has(key)).toBe(false);
    byHref.set(key, text);
  });
  return byHref;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hrefOfMember = (member: string) => `${PREFIX}big/${encodeURIComponent(member)}`;

describe('PROPFIND Depth 1 of a folder of 5,000 files', () => {
  it('lists every member once, well-formed, each live property equal to its own stats', async () => {
    const response = await send(server, 'PROPFIND', `${PREFIX}big/`, { Depth: '1' });
    expect(response.status).toBe(207);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const responses = responsesOf(response.text);
    // The folder, its files, the subfolder and the link inside; not the link leading out.
    expect(responses.size).toBe(1 + FILES + 2);
    expect(responses.has(hrefOfMember('link-outside.txt'))).toBe(false);
    expect(responses.get(`${PREFIX}big/sub/`)).toContain('<D:resourcetype><D:collection/></D:resourcetype>');
    expect(responses.get(hrefOfMember('link-inside.txt'))).toContain(
      `<D:getcontentlength>${1 % 50}</D:getcontentlength>`,
    );
    for (let index = 0; index < FILES; index += 1) {
      const text = responses.get(hrefOfMember(name(index))) ?? '';
      const stats = lstatSync(join(folder, name(index)));
      expect(text).toContain(`<D:displayname>${escapeXml(name(index))}</D:displayname>`);
      expect(text).toContain(`<D:getcontentlength>${stats.size}</D:getcontentlength>`);
      expect(text).toContain(
        `<D:getlastmodified>${new Date(stats.mtimeMs).toUTCString()}</D:getlastmodified>`,
      );
      expect(text).toContain(`<D:getetag>${etagOf(stats)}</D:getetag>`);
      const created = `${new Date(Math.floor(creationMs(stats) / 1000) * 1000).toISOString().slice(0, 19)}Z`;
      expect(text).toContain(`<D:creationdate>${created}</D:creationdate>`);
      expect(text).toContain('<D:getcontenttype>text/plain</D:getcontenttype>');
      expect(text).toContain('<D:resourcetype/>');
    }
  }, 60_000);

  it('reports dead properties and locks on the members that have them, in any batch', async () => {
    const response = await send(server, 'PROPFIND', `${PREFIX}big/`, { Depth: '1' });
    const responses = responsesOf(response.text);
    for (let index = 0; index < FILES; index += 1) {
      const text = responses.get(hrefOfMember(name(index))) ?? '';
      if (DEAD_AT.includes(index))
        expect(text).toMatch(new RegExp(`>sha1:${index}</[A-Za-z0-9]+:checksums>`));
      else expect(text).not.toContain('checksums');
      if (index === LOCKED_AT) {
        expect(text).toContain(`<D:locktoken><D:href>${lockToken}</D:href></D:locktoken>`);
        expect(text).toContain(`<D:lockroot><D:href>${hrefOfMember(name(index))}</D:href></D:lockroot>`);
      } else expect(text).toContain('<D:lockdiscovery/>');
    }
    expect(response.text).not.toContain('sha1:other');
  }, 60_000);

  it("answers rclone's body: found properties in a 200 propstat, the others in a 404 one", async () => {
    const response = await send(server, 'PROPFIND', `${PREFIX}big/`, { Depth: '1' }, RCLONE_BODY);
    const responses = responsesOf(response.text);
    expect(responses.size).toBe(1 + FILES + 2);
    const plain = responses.get(hrefOfMember(name(1))) ?? '';
    expect(plain).toMatch(
      /<D:propstat><D:prop><D:displayname>f-1\.txt<\/D:displayname><D:getlastmodified>[^<]+<\/D:getlastmodified><D:getcontentlength>1<\/D:getcontentlength><D:resourcetype\/><D:getcontenttype>text\/plain<\/D:getcontenttype><\/D:prop><D:status>HTTP\/1.1 200 OK<\/D:status><\/D:propstat><D:propstat><D:prop><n0:checksums\/><n0:permissions\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found<\/D:status><\/D:propstat>$/,
    );
    const withDead = responses.get(hrefOfMember(name(256))) ?? '';
    expect(withDead).toContain('<n0:checksums>sha1:256</n0:checksums>');
    expect(withDead).toContain('<D:prop><n0:permissions/></D:prop><D:status>HTTP/1.1 404 Not Found');
    // A folder has no length or type: they join the 404 propstat.
    expect(responses.get(`${PREFIX}big/sub/`)).toContain(
      '<D:prop><D:getcontentlength/><D:getcontenttype/><n0:checksums/><n0:permissions/></D:prop><D:status>HTTP/1.1 404',
    );
  }, 60_000);
});

describe('the dates of a listing', () => {
  it('are the text Date gives, from 1970 to 9999, and outside that range too', () => {
    const samples = [0, 999, 1000, 951_782_400_000, 951_868_799_999, 4_107_542_399_000, 253_402_300_799_999];
    let seed = 42;
    for (let i = 0; i < 20_000; i += 1) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push(Math.floor((seed / 2 ** 31) * 253_402_300_800_000) + (i % 1000) / 1000);
    }
    for (const ms of [...samples, -1, -86_400_000 * 400, 253_402_300_800_000]) {
      expect(fastHttpDate(ms)).toBe(new Date(ms).toUTCString());
      expect(fastIsoDate(ms)).toBe(`${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`);
    }
  });
});
