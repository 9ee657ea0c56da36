// The browser's path to the agent, in a real Chromium: a page of the allowed origin lists, uploads (a
// preflighted PUT with a Bearer token) and reads exposed headers; a page of another origin is kept from every
// answer by the browser itself; an <img> loads through ?access_token=.

import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, launchChromium, removeTempDirs } from '@homeport/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FilesAgent, MOUNT, startFilesAgent } from './files-agent.js';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** What the test uses of a page's HTMLImageElement. */
interface PageImageElement {
  src: string;
  readonly naturalWidth: number;
  onload: (() => void) | null;
  onerror: (() => void) | null;
}

let agent: FilesAgent;
let browser: Browser;
const pages: Server[] = [];
let allowedPage: string;
let otherPage: string;

async function pageServer(): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>page</title>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  pages.push(server);
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  agent = await startFilesAgent();
  writeFileSync(join(agent.root, 'dot.png'), PNG);
  allowedPage = await pageServer();
  otherPage = await pageServer();
  agent.gate.setAllowedOrigins([allowedPage]);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const server of pages) server.close();
  await agent?.close();
  removeTempDirs();
});

/** Runs `script` (a function's source taking one argument) in a fresh page of `origin`. */
async function inPage<T>(origin: string, script: (input: { base: string; token: string }) => Promise<T>) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    return await page.evaluate(script, {
      base: `http://127.0.0.1:${agent.port}${MOUNT}`,
      token: agent.token(),
    });
  } finally {
    await context.close();
  }
}

describe('in Chromium', () => {
  it('lets a page of the allowed origin list, upload with a preflight, and read the exposed ETag', async () => {
    const result = await inPage(allowedPage, async ({ base, token }) => {
      const headers = { authorization: `Bearer ${token}` };
      const put = await fetch(`${base}from-browser.txt`, { method: 'PUT', headers, body: 'uploaded' });
      const list = await fetch(`${base}?list`, { headers });
      const names = ((await list.json()) as { entries: { name: string }[] }).entries.map((e) => e.name);
      return { put: put.status, etag: put.headers.get('etag'), names };
    });
    expect(result.put).toBe(201);
    expect(result.etag).toMatch(/^"/);
    expect(result.names).toContain('from-browser.txt');
  }, 30_000);

  it('keeps every answer from a page of another origin', async () => {
    const result = await inPage(otherPage, async ({ base, token }) => {
      const outcomes: string[] = [];
      for (const request of [
        fetch(`${base}?list`, { headers: { authorization: `Bearer ${token}` } }),
        fetch(`${base}?list&access_token=${token}`),
        fetch(`${base}planted.txt`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}` },
          body: 'x',
        }),
      ]) {
        outcomes.push(await request.then((response) => `status ${response.status}`).catch(() => 'blocked'));
      }
      return outcomes;
    });
    expect(result).toEqual(['blocked', 'blocked', 'blocked']);
    // The PUT needed a preflight, which this origin did not pass: it was never sent.
    expect(existsSync(join(agent.root, 'planted.txt'))).toBe(false);
  }, 30_000);

  it('loads an <img> through ?access_token=', async () => {
    const width = await inPage(allowedPage, async ({ base, token }) => {
      // The page's Image (the test files are type-checked without the DOM library).
      const PageImage = (globalThis as unknown as { Image: new () => PageImageElement }).Image;
      const image = new PageImage();
      await new Promise<void>((resolve, reject) => {
        image.onload = () => resolve();
        image.onerror = () => reject(new Error('the image did not load'));
        image.src = `${base}dot.png?access_token=${encodeURIComponent(token)}`;
      });
      return image.naturalWidth;
    });
    expect(width).toBe(1);
  }, 30_000);
});
