// The built SPA is served at / with client-side routes falling back to index.html; server paths come first.

import { existsSync } from 'node:fs';
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
    expect((await t.app.inject({ url: '/health', headers: html })).body).toBe('ok');
    expect((await t.app.inject({ url: '/version', headers: html })).json().name).toBe('homeport');
    expect((await t.app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
  });
});
