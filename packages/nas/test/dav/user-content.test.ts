// Files users upload must not run as pages of the agent: nosniff and a sandbox on every file, attachments for
// active types, a strict policy on the agent's own listing page.

import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTING_CSP, USER_CONTENT_CSP } from '../../src/agent/dav/content-headers.js';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

let server: DavTestServer;

const PAGE = '<!doctype html><script>fetch("/dav/").then((r) => r.text()).then(alert)</script>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';

beforeAll(async () => {
  server = await startDavServer();
  for (const [name, body] of [
    ['page.html', PAGE],
    ['drawing.svg', SVG],
    ['notes.txt', 'plain text <b>not html</b>'],
    ['photo.png', 'not really a png'],
    ['data.xml', '<?xml version="1.0"?><x/>'],
    ['no-extension', PAGE],
    ['été "quoted".html', PAGE],
  ]) {
    // Uploaded through WebDAV, the way a member would.
    const put = await send(server, 'PUT', `${PREFIX}${encodeURIComponent(name as string)}`, {}, body);
    expect(put.status).toBe(201);
  }
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

describe('GET and HEAD of user content', () => {
  it.each(['page.html', 'drawing.svg', 'data.xml', 'no-extension'])(
    'sends %s as a sandboxed, unsniffable attachment',
    async (name) => {
      for (const method of ['GET', 'HEAD']) {
        const response = await send(server, method, `${PREFIX}${name}`);
        expect(response.status).toBe(200);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['content-security-policy']).toBe(USER_CONTENT_CSP);
        expect(response.headers['content-security-policy']).toMatch(/^sandbox;/);
        expect(response.headers['content-disposition']).toBe(
          `attachment; filename="${name}"; filename*=UTF-8''${name}`,
        );
      }
    },
  );

  it('keeps the headers when the file is served again from the small-file cache', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await send(server, 'GET', `${PREFIX}page.html`);
      expect(response.headers['content-disposition']).toMatch(/^attachment;/);
      expect(response.headers['content-security-policy']).toBe(USER_CONTENT_CSP);
    }
  });

  it('shows plain text and raster images inline, still sandboxed and unsniffable', async () => {
    for (const name of ['notes.txt', 'photo.png']) {
      const response = await send(server, 'GET', `${PREFIX}${name}`);
      expect(response.headers['content-disposition']).toBeUndefined();
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe(USER_CONTENT_CSP);
    }
  });

  it('names a non-ASCII or quoted file safely in Content-Disposition', async () => {
    const name = 'été "quoted".html';
    const response = await send(server, 'GET', `${PREFIX}${encodeURIComponent(name)}`);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="_t_ _quoted_.html"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
  });
});

describe('the HTML listing', () => {
  it('is served with a strict policy and nosniff', async () => {
    const response = await send(server, 'GET', PREFIX);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(LISTING_CSP);
    expect(LISTING_CSP).toContain("default-src 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});
