// CORS at the agent: preflights answered without credentials, and only the control plane's origins (from the
// gate's state) get Access-Control-* headers; another origin gets none. Never Allow-Credentials.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_ORIGIN, bearer, type FilesAgent, MOUNT, startFilesAgent } from './files-agent.js';

let agent: FilesAgent;

beforeAll(async () => {
  agent = await startFilesAgent();
  writeFileSync(join(agent.root, 'hello.txt'), 'hello');
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

const preflight = (origin: string, method = 'PUT') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': 'authorization, content-type',
});

describe('preflight', () => {
  it('answers an allowed origin with 204 and the methods and headers the page uses, without credentials', async () => {
    const response = await agent.send('OPTIONS', `${MOUNT}photos/a.jpg`, preflight(ALLOWED_ORIGIN));
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers['access-control-allow-methods']).toBe(
      'GET, HEAD, PUT, POST, PATCH, DELETE, MKCOL, COPY, MOVE, PROPFIND',
    );
    expect(response.headers['access-control-allow-headers']).toContain('authorization');
    expect(response.headers['access-control-allow-headers']).toContain('upload-offset');
    expect(response.headers['access-control-max-age']).toBe('600');
    expect(response.headers.vary).toBe('Origin');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives another origin no CORS header at all', async () => {
    for (const origin of [
      'https://evil.example',
      'https://home.example.org.evil.example',
      'null',
      'http://home.example.org',
    ]) {
      const response = await agent.send('OPTIONS', `${MOUNT}hello.txt`, preflight(origin));
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-allow-methods']).toBeUndefined();
    }
  });

  it("leaves a WebDAV client's OPTIONS (no Access-Control-Request-Method) as it was", async () => {
    const response = await agent.send('OPTIONS', MOUNT, { origin: ALLOWED_ORIGIN });
    expect(response.status).toBe(200);
    expect(response.headers.dav).toBe('1, 2');
  });
});

describe('actual requests', () => {
  it('carries Allow-Origin, Expose-Headers and Vary for an allowed origin', async () => {
    const response = await agent.send('GET', `${MOUNT}hello.txt`, {
      ...bearer(agent.token()),
      origin: ALLOWED_ORIGIN,
    });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers['access-control-expose-headers']).toContain('etag');
    expect(response.headers['access-control-expose-headers']).toContain('upload-offset');
    expect(response.headers.vary).toBe('Origin');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('carries them on small files served from memory too', async () => {
    // A minute ahead: the file counts as settled, so the second GET is served from the small-file cache.
    const cached = await startFilesAgent({ davClock: () => Date.now() + 60_000 });
    try {
      writeFileSync(join(cached.root, 'small.txt'), 'small');
      const headers = { ...bearer(cached.token()), origin: ALLOWED_ORIGIN };
      await cached.send('GET', `${MOUNT}small.txt`, headers);
      const response = await cached.send('GET', `${MOUNT}small.txt`, headers);
      expect(response.text).toBe('small');
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(response.headers['access-control-expose-headers']).toContain('etag');
      expect(response.headers['content-security-policy']).toMatch(/^sandbox;/);
    } finally {
      await cached.close();
    }
  });

  it('carries them on refusals too, so the page can read why', async () => {
    const response = await agent.send('GET', `${MOUNT}?list`, { origin: ALLOWED_ORIGIN });
    expect(response.status).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });

  it('gives another origin none (the browser keeps the answer from its page)', async () => {
    const response = await agent.send('GET', `${MOUNT}hello.txt`, {
      ...bearer(agent.token()),
      origin: 'https://evil.example',
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('follows the origins the agent is told later', async () => {
    const origin = 'http://127.0.0.1:8080';
    expect(
      (await agent.send('OPTIONS', MOUNT, preflight(origin))).headers['access-control-allow-origin'],
    ).toBe(undefined);
    agent.gate.setAllowedOrigins([ALLOWED_ORIGIN, origin]);
    expect(
      (await agent.send('OPTIONS', MOUNT, preflight(origin))).headers['access-control-allow-origin'],
    ).toBe(origin);
  });
});
