// The Files page in real Chromium against a real Homeport and its embedded agent (issue 13): a folder of
// files (awkward names included) and a 200 MiB file uploaded through the page with progress seen along the
// way, downloaded back (the file, and the folder as a ZIP) with equal checksums, renamed and deleted, the
// page refreshing by itself when the folder changes on disk; then a share link opened in a second,
// signed-out browser context, which can download but reaches nothing else.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { requireCommand, startHomeport, tempDir, until } from '@homeport/testkit';
import type { Download, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiCall, sessionToken } from './support/api.js';
import { openTestPage } from './support/page.js';
import { browserSuite } from './support/suite.js';

const suite = browserSuite(() => startHomeport({ requireWebUi: true }));
const api = <T>(path: string, token: string, method = 'GET', body?: unknown) =>
  apiCall<T>(suite.homeport.url, path, token, method, body);

const BIG_BYTES = 200 * 1024 * 1024;
/** Names that break naive URL building: a fragment, a query, a percent sign, spaces, Unicode. */
const FOLDER = 'photos #1';
const AWKWARD = 'a#b ?% ☃.txt';

let adminToken: string;
let filesExport: { id: string; path: string };
let source: string;
let bigFile: string;

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A 200 MiB file of random bytes, written in 8 MiB pieces (never 200 MiB in memory). */
async function writeRandomFile(path: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size; written += 8 * 1024 * 1024) {
      await handle.write(randomBytes(Math.min(8 * 1024 * 1024, size - written)));
    }
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  requireCommand('unzip', 'unzip');
  adminToken = await sessionToken(suite.homeport.url, 'admin', suite.homeport.adminPassword);
  filesExport = await until(async () => {
    const exports = await api<{ id: string; label: string; path: string }[]>('/exports', adminToken);
    return exports.find((item) => item.label === 'Files');
  });
  source = tempDir('homeport-files-src-');
  const folder = join(source, FOLDER);
  mkdirSync(join(folder, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(folder, AWKWARD), 'awkward name\n');
  writeFileSync(join(folder, 'notes.txt'), 'hello from the browser\n');
  writeFileSync(join(folder, 'sub', 'data.bin'), randomBytes(300_000));
  writeFileSync(join(folder, 'sub', 'deeper', 'medium.bin'), randomBytes(9 * 1024 * 1024));
  bigFile = join(tempDir('homeport-files-big-'), 'big.bin');
  await writeRandomFile(bigFile, BIG_BYTES);
}, 120_000);

async function signIn(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(suite.homeport.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

async function openFiles(page: Page): Promise<void> {
  await page.goto('/storage');
  await page.getByRole('link', { name: 'Browse Files' }).first().click();
  await page.waitForURL((url) => url.pathname === `/files/${filesExport.id}`);
  await page.getByRole('navigation', { name: 'Folder path' }).waitFor();
}

const row = (page: Page, name: string) => page.getByRole('button', { name: `Actions for ${name}` });

async function entryAction(page: Page, name: string, action: string): Promise<void> {
  await row(page, name).click();
  await page.getByRole('menuitem', { name: action }).click();
}

/** Saves a download to a temp dir and returns its path. */
async function saved(download: Download): Promise<string> {
  const path = join(tempDir('homeport-files-dl-'), download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

/** A mono 16-bit PCM WAV of silence: `seconds` long at `rate` samples a second. */
function wav(rate: number, seconds: number): Buffer {
  const data = rate * seconds * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

/** Every file under `dir`, relative path → sha256. */
async function checksums(dir: string, prefix = ''): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(result, await checksums(join(dir, entry.name), relative));
    else result[relative] = await sha256(join(dir, entry.name));
  }
  return result;
}

describe('files page', () => {
  it('uploads a folder and a 200 MiB file with progress, downloads them back equal, renames, deletes, refreshes live', async () => {
    const { page } = suite;
    page.setDefaultTimeout(30_000);
    await signIn(page);
    await openFiles(page);

    // A folder through the folder picker (a drop makes the same batch, empty folders too: unit-tested, as a
    // test cannot make the browser's drag data of a real folder), files in subfolders.
    await page.getByTestId('folder-input').setInputFiles(join(source, FOLDER));
    await page.getByRole('button', { name: `Actions for ${FOLDER}` }).waitFor();
    await until(
      async () => (await page.getByTestId('upload-total').innerText()).startsWith('4 of 4 uploaded'),
      60_000,
    );
    const onDisk = join(filesExport.path, FOLDER);
    expect(await checksums(onDisk)).toEqual(await checksums(join(source, FOLDER)));

    // The 200 MiB file: resumable chunks; the progress moves while it goes.
    await page.locator('input[type=file][multiple]').setInputFiles(bigFile);
    const task = page.locator('[data-testid=upload-task][aria-label="Upload /big.bin"]');
    const seen = new Set<number>();
    await until(
      async () => {
        const text = await task.innerText();
        const percent = Number(/(\d+)%/.exec(text)?.[1] ?? '-1');
        seen.add(percent);
        return (await task.getAttribute('data-state')) === 'done';
      },
      180_000,
      50,
    );
    expect([...seen].some((percent) => percent > 0 && percent < 100)).toBe(true);
    expect(await sha256(join(filesExport.path, 'big.bin'))).toBe(await sha256(bigFile));

    // Downloaded back: the big file, and the folder as a ZIP.
    await row(page, 'big.bin').waitFor();
    const [bigDownload] = await Promise.all([
      page.waitForEvent('download'),
      entryAction(page, 'big.bin', 'Download'),
    ]);
    expect(await sha256(await saved(bigDownload))).toBe(await sha256(bigFile));
    const [zipDownload] = await Promise.all([
      page.waitForEvent('download'),
      entryAction(page, FOLDER, 'Download as ZIP'),
    ]);
    const zipPath = await saved(zipDownload);
    expect(zipDownload.suggestedFilename()).toBe(`${FOLDER}.zip`);
    const unzipped = tempDir('homeport-files-unzip-');
    const unzip = spawnSync('unzip', ['-q', zipPath, '-d', unzipped], { encoding: 'utf8' });
    expect(unzip.status, unzip.stderr).toBe(0);
    expect(await checksums(unzipped)).toEqual(await checksums(join(source, FOLDER)));

    // Into the folder with the awkward name: the address and the listing hold the names as they are.
    await page.getByRole('button', { name: `${FOLDER}/` }).click();
    await page.waitForURL((url) => url.pathname === `/files/${filesExport.id}/photos%20%231`);
    await row(page, AWKWARD).waitFor();
    await entryAction(page, AWKWARD, 'Preview');
    await expect.poll(() => page.getByTestId('text-preview').innerText()).toContain('awkward name');
    await page.keyboard.press('Escape');

    // Rename, then delete with confirmation.
    await entryAction(page, 'notes.txt', 'Rename…');
    const renameDialog = page.getByRole('dialog', { name: 'Rename notes.txt' });
    await renameDialog.getByLabel('Name').fill('renamed ☃ #2.txt');
    await renameDialog.getByRole('button', { name: 'Rename' }).click();
    await row(page, 'renamed ☃ #2.txt').waitFor();
    expect(readFileSync(join(onDisk, 'renamed ☃ #2.txt'), 'utf8')).toBe('hello from the browser\n');
    expect(existsSync(join(onDisk, 'notes.txt'))).toBe(false);

    await entryAction(page, 'renamed ☃ #2.txt', 'Delete…');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await row(page, 'renamed ☃ #2.txt').waitFor({ state: 'detached' });
    expect(existsSync(join(onDisk, 'renamed ☃ #2.txt'))).toBe(false);

    // A change on the node shows without a reload (the agent's ?watch stream).
    writeFileSync(join(onDisk, 'from-elsewhere.txt'), 'x');
    await row(page, 'from-elsewhere.txt').waitFor();
  }, 300_000);

  it('a share link opens in a signed-out browser: the folder lists and downloads, nothing else is reachable; revoked, it stops; a file link downloads', async () => {
    const { page } = suite;
    page.setDefaultTimeout(30_000);
    const onDisk = join(filesExport.path, 'shared');
    mkdirSync(join(onDisk, 'inner'), { recursive: true });
    writeFileSync(join(onDisk, 'inner', 'report.txt'), 'quarterly numbers\n');
    writeFileSync(join(filesExport.path, 'private.txt'), 'not for the link\n');
    await signIn(page);
    await openFiles(page);
    await entryAction(page, 'shared', 'Share link…');
    const dialog = page.getByRole('dialog', { name: 'Share link for shared' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const url = await dialog.getByRole('textbox', { name: 'Link' }).inputValue();
    expect(url).toMatch(new RegExp(`^${suite.homeport.url}/s/shr_[A-Za-z0-9_-]+#.+`));

    const visitor = await openTestPage(suite.browser, suite.homeport.url);
    try {
      const requests: string[] = [];
      visitor.page.on('request', (request) => requests.push(request.url()));
      visitor.page.setDefaultTimeout(30_000);
      await visitor.page.goto(url);
      await visitor.page.getByRole('heading', { name: 'shared' }).waitFor();
      await visitor.page.getByRole('button', { name: 'inner/' }).click();
      await row(visitor.page, 'report.txt').waitFor();
      const [download] = await Promise.all([
        visitor.page.waitForEvent('download'),
        entryAction(visitor.page, 'report.txt', 'Download'),
      ]);
      expect(readFileSync(await saved(download), 'utf8')).toBe('quarterly numbers\n');
      expect(visitor.pageErrors).toEqual([]);
      // The secret never left the page in a URL the server sees (the fragment is not sent).
      const secret = url.split('#')[1] ?? '';
      expect(requests.filter((request) => request.includes(secret))).toEqual([]);

      // The credential the page holds reaches only the shared folder.
      const opened = (await visitor.page.evaluate(async (shareUrl) => {
        const [path, secretPart] = shareUrl.split('#');
        const id = path?.split('/s/')[1] ?? '';
        const response = await fetch(`/api/v1/public/shares/${id}/open`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: secretPart }),
        });
        return response.json();
      }, url)) as { token: string; baseUrl: string; path: string };
      expect(opened.path).toBe('/shared');
      const { token, baseUrl: base } = opened;
      const outside = await fetch(new URL('private.txt', base), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(outside.status).toBe(403);
      const write = await fetch(new URL('shared/new.txt', base), {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
        body: 'x',
      });
      expect(write.status).toBe(403);

      // Revoked from the Share links page: the link stops opening.
      await page.goto('/shares');
      await page.getByRole('button', { name: 'Revoke the link to shared' }).first().click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
      await page.getByText('Revoked the link to shared').waitFor();
      await visitor.page.goto('about:blank');
      await visitor.page.goto(url);
      await visitor.page.getByText('This link does not work').waitFor();

      // A link to one file: its name, Download, and the file opened in the browser from the agent.
      const created = await api<{ url: string }>(`/exports/${filesExport.id}/shares`, adminToken, 'POST', {
        path: '/shared/inner/report.txt',
        kind: 'file',
        mode: 'view',
      });
      await visitor.page.goto(new URL(created.url, suite.homeport.url).href);
      await visitor.page.getByRole('heading', { name: 'report.txt' }).waitFor();
      const [fileDownload] = await Promise.all([
        visitor.page.waitForEvent('download'),
        visitor.page.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(readFileSync(await saved(fileDownload), 'utf8')).toBe('quarterly numbers\n');
      const openHref = await visitor.page
        .getByRole('link', { name: 'Open in the browser' })
        .getAttribute('href');
      expect(openHref).toMatch(/\/shared\/inner\/report\.txt\?access_token=/);
      expect(visitor.pageErrors).toEqual([]);
    } finally {
      await visitor.context.close();
    }
  }, 120_000);

  it('resumes a large upload from the agent’s offset after the connection breaks mid-way', async () => {
    const { page } = suite;
    page.setDefaultTimeout(30_000);
    const file = join(tempDir('homeport-files-resume-'), 'resumed.bin');
    await writeRandomFile(file, 40 * 1024 * 1024);
    const uploadCalls: string[] = [];
    let patches = 0;
    // The second chunk's connection is reset: the page must ask the agent where it got to and go on.
    await page.route(
      (url) => url.search.includes('upload='),
      async (route) => {
        const request = route.request();
        uploadCalls.push(request.method());
        if (request.method() === 'PATCH' && ++patches === 2) await route.abort('connectionreset');
        else await route.continue();
      },
    );
    await signIn(page);
    await openFiles(page);
    await page.locator('input[type=file][multiple]').setInputFiles(file);
    const task = page.locator('[data-testid=upload-task][aria-label="Upload /resumed.bin"]');
    await until(async () => (await task.getAttribute('data-state')) === 'done', 120_000, 50);
    expect(await sha256(join(filesExport.path, 'resumed.bin'))).toBe(await sha256(file));
    const afterBreak = uploadCalls.slice(uploadCalls.indexOf('PATCH') + 2);
    expect(afterBreak[0]).toBe('HEAD');
    // 40 MiB in 8 MiB chunks: five PATCHes, one more for the broken one, never from the start again.
    expect(uploadCalls.filter((method) => method === 'PATCH')).toHaveLength(6);
  }, 180_000);

  it('shows a read-only member no write actions and no sharing', async () => {
    const { page } = suite;
    const member = { username: 'rita', password: 'rita-password-1234' };
    await api('/users', adminToken, 'POST', member);
    await api(`/exports/${filesExport.id}/grants/${member.username}`, adminToken, 'PUT', {
      access: 'read-only',
    });
    writeFileSync(join(filesExport.path, 'readable.txt'), 'read me\n');
    await page.goto('/login');
    await page.getByLabel('Username', { exact: true }).fill(member.username);
    await page.getByLabel('Password', { exact: true }).fill(member.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');
    await openFiles(page);
    await row(page, 'readable.txt').click();
    await page.getByRole('menuitem', { name: 'Download' }).waitFor();
    expect(await page.getByRole('menuitem').allInnerTexts()).toEqual(['Preview', 'Download']);
    await page.keyboard.press('Escape');
    for (const name of ['Upload files', 'Upload folder', 'New folder', 'Share folder']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    await page.getByText('Read-only: you can open and download.').waitFor();
  });

  it('a file drop link with a password: the visitor uploads, sees nothing, and cannot replace a file', async () => {
    const { page } = suite;
    page.setDefaultTimeout(30_000);
    const inbox = join(filesExport.path, 'inbox');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(inbox, 'secret-plan.txt'), 'already here\n');
    await signIn(page);
    await openFiles(page);
    await entryAction(page, 'inbox', 'Share link…');
    const dialog = page.getByRole('dialog', { name: 'Share link for inbox' });
    await dialog.getByText('File drop (upload only)').click();
    await dialog.getByLabel('Password (optional)').fill('drop-password-1');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const url = await dialog.getByRole('textbox', { name: 'Link' }).inputValue();

    const visitor = await openTestPage(suite.browser, suite.homeport.url);
    try {
      visitor.page.setDefaultTimeout(30_000);
      await visitor.page.goto(url);
      await visitor.page.getByRole('heading', { name: 'This link needs a password' }).waitFor();
      await visitor.page.getByLabel('Password', { exact: true }).fill('wrong-password');
      await visitor.page.getByRole('button', { name: 'Open' }).click();
      await visitor.page.getByText('That password is not right').waitFor();
      await visitor.page.getByLabel('Password', { exact: true }).fill('drop-password-1');
      await visitor.page.getByRole('button', { name: 'Open' }).click();
      await visitor.page.getByRole('heading', { name: 'Send files to inbox' }).waitFor();
      const upload = join(tempDir('homeport-files-drop-'), 'delivery.txt');
      writeFileSync(upload, 'delivered\n');
      await visitor.page.locator('input[type=file][multiple]').setInputFiles(upload);
      await visitor.page.getByText('All files were delivered.').waitFor();
      expect(readFileSync(join(inbox, 'delivery.txt'), 'utf8')).toBe('delivered\n');
      expect(await visitor.page.content()).not.toContain('secret-plan');

      const clash = join(tempDir('homeport-files-drop-'), 'secret-plan.txt');
      writeFileSync(clash, 'overwritten?\n');
      await visitor.page.locator('input[type=file][multiple]').setInputFiles(clash);
      const task = visitor.page.locator(
        '[data-testid=upload-task][aria-label="Upload /inbox/secret-plan.txt"]',
      );
      await until(async () => (await task.getAttribute('data-state')) === 'failed');
      expect(await visitor.page.getByRole('button', { name: 'Replace secret-plan.txt' }).count()).toBe(0);
      expect(readFileSync(join(inbox, 'secret-plan.txt'), 'utf8')).toBe('already here\n');
      expect(visitor.pageErrors).toEqual([]);
    } finally {
      await visitor.context.close();
    }
  }, 120_000);

  it('fits a phone: entries as cards, the upload button on screen, no sideways scrolling', async () => {
    const context = await suite.browser.newContext({
      baseURL: suite.homeport.url,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      writeFileSync(join(filesExport.path, 'on-a-phone.txt'), 'small screen\n');
      await signIn(page);
      await page.goto(`/files/${filesExport.id}`);
      await page.getByRole('article', { name: 'on-a-phone.txt' }).waitFor();
      const upload = await page.getByRole('button', { name: 'Upload files' }).boundingBox();
      expect(upload && upload.x >= 0 && upload.x + upload.width <= 390).toBe(true);
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
    } finally {
      await context.close();
    }
  });

  it('takes files dropped on the page, previews an image and audio from the agent, and pauses and resumes an upload', async () => {
    const { page } = suite;
    page.setDefaultTimeout(30_000);
    // A 1×1 PNG: the preview is an <img> loaded from the agent's origin with the credential in its URL.
    writeFileSync(
      join(filesExport.path, 'pixel.png'),
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    await signIn(page);
    await openFiles(page);

    // A string: this file is type-checked without the DOM library.
    const dropped = await page.evaluateHandle(
      "(() => { const t = new DataTransfer(); t.items.add(new File(['dropped on the page\\n'], 'dropped.txt')); return t; })()",
    );
    await page.getByTestId('drop-zone').dispatchEvent('dragenter', { dataTransfer: dropped });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
    await row(page, 'dropped.txt').waitFor();
    expect(readFileSync(join(filesExport.path, 'dropped.txt'), 'utf8')).toBe('dropped on the page\n');

    await entryAction(page, 'pixel.png', 'Preview');
    const image = page.getByRole('dialog').getByRole('img', { name: 'pixel.png' });
    await expect
      .poll(() => image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(1);
    await page.keyboard.press('Escape');

    // Audio streams from the agent into a media element (its own Range requests): the length is known.
    writeFileSync(join(filesExport.path, 'tone.wav'), wav(8000, 2));
    await row(page, 'tone.wav').waitFor();
    await entryAction(page, 'tone.wav', 'Preview');
    const audio = page.getByRole('dialog').locator('audio');
    await expect
      .poll(() => audio.evaluate((element) => (element as unknown as { duration: number }).duration))
      .toBeCloseTo(2, 1);
    await page.keyboard.press('Escape');

    // Each chunk is held a moment, so the upload is still running when Pause is pressed.
    const file = join(tempDir('homeport-files-pause-'), 'paused.bin');
    await writeRandomFile(file, 48 * 1024 * 1024);
    const methods: string[] = [];
    await page.route(
      (url) => url.search.includes('upload'),
      async (route) => {
        methods.push(route.request().method());
        if (route.request().method() === 'PATCH') await new Promise((resolve) => setTimeout(resolve, 400));
        await route.continue().catch(() => undefined); // aborted by the pause meanwhile
      },
    );
    await page.locator('input[type=file][multiple]').setInputFiles(file);
    const task = page.locator('[data-testid=upload-task][aria-label="Upload /paused.bin"]');
    await until(async () => methods.includes('PATCH'));
    await page.getByRole('button', { name: 'Pause paused.bin' }).click();
    await until(async () => (await task.getAttribute('data-state')) === 'paused');
    const whilePaused = methods.length;
    await page.getByRole('button', { name: 'Resume paused.bin' }).click();
    await until(async () => (await task.getAttribute('data-state')) === 'done', 120_000, 50);
    expect(methods[whilePaused]).toBe('HEAD');
    expect(methods.filter((method) => method === 'POST')).toHaveLength(1);
    expect(await sha256(join(filesExport.path, 'paused.bin'))).toBe(await sha256(file));
  }, 120_000);
});
