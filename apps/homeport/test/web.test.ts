// The built SPA is served at / with client-side routes falling back to index.html; server paths come first.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { HOMEPORT_BUNDLE } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEB_DIR } from '../src/web.js';
import { buildApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeAll(async () => {
  if (!existsSync(`${DEFAULT_WEB_DIR}/index.html`)) {
    throw new Error(
      `the web UI is not built at ${DEFAULT_WEB_DIR}; run \`npm run build\` (npm test does) — bundle: ${HOMEPORT_BUNDLE}`,
    );
  }
  t = await buildApp({ env: { HOMEPORT_WEB_DIR: DEFAULT_WEB_DIR } });
});
afterAll(async () => {
  await t?.close();
});

const html = { accept: 'text/html,application/xhtml+xml' };

describe('web UI', () => {
  it('serves index.html at / and for client-side routes, not cached', async () => {
    for (const url of ['/', '/login', '/settings/users', '/storage']) {
      const response = await t.app.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toContain('<div id="root">');
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with a long cache lifetime', async () => {
    const index = (await t.app.inject({ url: '/', headers: html })).body;
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(asset).toBeDefined();
    const response = await t.app.inject({ url: asset ?? '' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('matches /api, /health, /metrics and /version first', async () => {
    const api = await t.app.inject({ url: '/api/v1/does-not-exist', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('not_found');
    expect((await t.app.inject({ url: '/health', headers: html })).json()).toMatchObject({ status: 'ok' });
    expect((await t.app.inject({ url: '/version', headers: html })).json().name).toBe('homeport');
    expect((await t.app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
  });

  it('serves the precompressed brotli or gzip copy by Accept-Encoding, with Vary and the right length', async () => {
    const index = (await t.app.inject({ url: '/', headers: html })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1] ?? '';
    const plain = readFileSync(join(DEFAULT_WEB_DIR, script));
    expect(existsSync(join(DEFAULT_WEB_DIR, `${script}.br`)), 'the build writes .br copies').toBe(true);

    const brotli = await t.app.inject({ url: script, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(brotli.statusCode).toBe(200);
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers.vary).toMatch(/accept-encoding/i);
    expect(brotli.headers['content-type']).toContain('javascript');
    expect(brotli.headers['cache-control']).toContain('immutable');
    expect(Number(brotli.headers['content-length'])).toBe(brotli.rawPayload.length);
    expect(brotli.rawPayload.length).toBeLessThan(plain.length / 2);
    expect(brotliDecompressSync(brotli.rawPayload).equals(plain)).toBe(true);

    const gzip = await t.app.inject({ url: script, headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.rawPayload.length);
    expect(gunzipSync(gzip.rawPayload).equals(plain)).toBe(true);

    const identity = await t.app.inject({ url: script, headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toMatch(/accept-encoding/i);
    expect(identity.rawPayload.equals(plain)).toBe(true);
  });

  it('serves index.html uncached however the client asks for it', async () => {
    for (const url of ['/', '/index.html']) {
      const response = await t.app.inject({ url, headers: { ...html, 'accept-encoding': 'br, gzip' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control'], url).toBe('no-cache');
    }
  });
});
