// `?download` and the headers every file is served with: what a user uploaded never runs as a page of the
// agent's origin (CSP sandbox, nosniff, attachment for active types), and a download is always an attachment.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type FilesAgent, MOUNT, startFilesAgent } from './files-agent.js';

let agent: FilesAgent;
let token: string;

beforeAll(async () => {
  // A minute ahead: files written now count as settled, so the small-file cache keeps them at once.
  agent = await startFilesAgent({ davClock: () => Date.now() + 60_000 });
  token = agent.token();
  writeFileSync(join(agent.root, 'notes.txt'), 'plain text');
  writeFileSync(join(agent.root, 'photo é.png'), Buffer.alloc(64));
  writeFileSync(join(agent.root, 'big.txt'), Buffer.alloc(200_000, 97));
  for (const name of ['page.html', 'image.svg', 'feed.xml', 'app.js', 'page.xhtml', 'doc.pdf', 'unknown.bin'])
    writeFileSync(join(agent.root, name), '<script>alert(1)</script>');
});

afterAll(async () => {
  await agent.close();
  removeTempDirs();
});

describe('?download', () => {
  it('sends an inline type as an attachment with the UTF-8 name', async () => {
    const inline = await agent.send('GET', `${MOUNT}photo%20%C3%A9.png`, bearer(token));
    expect(inline.headers['content-disposition']).toBeUndefined();
    const download = await agent.send('GET', `${MOUNT}photo%20%C3%A9.png?download`, bearer(token));
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="photo _.png"; filename*=UTF-8''photo%20%C3%A9.png`,
    );
    // The small-file cache (warmed by the first GET) must not serve the inline headers to a download.
    const again = await agent.send('GET', `${MOUNT}photo%20%C3%A9.png?download`, bearer(token));
    expect(again.headers['content-disposition']).toContain('attachment');
    const inlineAgain = await agent.send('GET', `${MOUNT}photo%20%C3%A9.png`, bearer(token));
    expect(inlineAgain.headers['content-disposition']).toBeUndefined();
  });

  it('keeps Range working on a streamed download', async () => {
    const response = await agent.send('GET', `${MOUNT}big.txt?download`, {
      ...bearer(token),
      range: 'bytes=0-9',
    });
    expect(response.status).toBe(206);
    expect(response.text).toBe('aaaaaaaaaa');
    expect(response.headers['content-disposition']).toContain('attachment');
  });
});

describe('user content never runs', () => {
  it('serves every file with a CSP sandbox and nosniff', async () => {
    for (const name of ['notes.txt', 'photo%20%C3%A9.png', 'page.html', 'image.svg']) {
      const response = await agent.send('GET', `${MOUNT}${name}`, bearer(token));
      expect(response.headers['content-security-policy'], name).toMatch(/^sandbox;/);
      expect(response.headers['content-security-policy'], name).toContain("default-src 'none'");
      expect(response.headers['x-content-type-options'], name).toBe('nosniff');
    }
  });

  it('sends refusals that quote the request as plain text a browser may not sniff', async () => {
    const response = await agent.send('GET', `${MOUNT}%3Cscript%3E%c0%ae.html`, bearer(token));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends HTML, SVG, XML, JavaScript, PDF and unknown types as attachments, never inline', async () => {
    for (const name of [
      'page.html',
      'image.svg',
      'feed.xml',
      'app.js',
      'page.xhtml',
      'doc.pdf',
      'unknown.bin',
    ]) {
      const response = await agent.send('GET', `${MOUNT}${name}?access_token=${token}`);
      expect(response.status, name).toBe(200);
      expect(response.headers['content-disposition'], name).toMatch(/^attachment;/);
    }
  });
});
