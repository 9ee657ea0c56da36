// The Storage page in real Chromium against the real server and its embedded agent: the Mount dialog
// reuses the credential it issued (per export and mode) instead of minting one per opening, lists and
// revokes a person's own credentials, masks the password in the rclone snippets; members see no node
// addresses, machine ids or folder paths; and the page works at a phone's size.

import { startHomeport } from '@homeport/testkit';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiCall, sessionToken } from './support/api.js';
import { browserSuite } from './support/suite.js';

const MEMBER = { username: 'mia', password: 'mia-password-1234' };
const suite = browserSuite(() =>
  startHomeport({ requireWebUi: true, env: { HOMEPORT_NODE_NAME: 'Closet NAS' } }),
);

/** JSON API calls with a bearer token, for setting up and checking. */
const api = <T>(path: string, token: string, method = 'GET', body?: unknown) =>
  apiCall<T>(suite.homeport.url, path, token, method, body);
const tokenFor = (username: string, password: string) => sessionToken(suite.homeport.url, username, password);

let adminToken: string;
let memberToken: string;
let filesExport: { id: string; path: string; nasNodeId: string };

beforeAll(async () => {
  adminToken = await tokenFor('admin', suite.homeport.adminPassword);
  await api('/users', adminToken, 'POST', MEMBER);
  memberToken = await tokenFor(MEMBER.username, MEMBER.password);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const exports = await api<{ id: string; label: string; path: string; nasNodeId: string }[]>(
      '/exports',
      adminToken,
    );
    const files = exports.find((item) => item.label === 'Files');
    if (files) {
      filesExport = files;
      break;
    }
    if (Date.now() > deadline) throw new Error('the embedded agent never synced its export');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await api(`/exports/${filesExport.id}/grants/${MEMBER.username}`, adminToken, 'PUT', {
    access: 'read-write',
  });
});

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  // By address: on a phone the navigation sits behind the menu button.
  await page.goto('/storage');
  await page.getByRole('heading', { name: 'Your mount credentials' }).waitFor();
}

const mine = async (token: string) =>
  (await api<{ credentials: { username: string }[] }>('/mount-credentials/mine', token)).credentials.map(
    (credential) => credential.username,
  );

/** Opens Mount for Files and returns the username shown once the credential is there. */
async function openMount(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Mount Files' }).first().click();
  return shownUsername(page);
}

async function shownUsername(page: Page, notEqual?: string): Promise<string> {
  const field = page.getByRole('dialog').getByRole('textbox', { name: 'Username', exact: true });
  await field.waitFor();
  // Poll: the field keeps the previous value while the next credential loads.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await field.inputValue();
    if (value.startsWith('mount-') && value !== notEqual) return value;
    if (Date.now() > deadline) throw new Error(`the username stayed ${value}`);
    await page.waitForTimeout(50);
  }
}

async function closeDialog(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
}

describe('mount dialog (admin)', () => {
  it('reuses the credential per export and mode across openings and read-only flips; New credential issues one', async () => {
    const { page } = suite;
    await api('/mount-credentials/mine/revoke', adminToken, 'POST', {});
    await signIn(page, 'admin', suite.homeport.adminPassword);

    const readWrite = await openMount(page);
    await closeDialog(page);
    expect(await openMount(page)).toBe(readWrite);
    await page.getByTestId('credential-reused').waitFor();

    await page.getByRole('dialog').getByRole('switch', { name: 'Read-only' }).click();
    const readOnly = await shownUsername(page, readWrite);
    await page.getByRole('dialog').getByRole('switch', { name: 'Read-only' }).click();
    expect(await shownUsername(page, readOnly)).toBe(readWrite);
    await closeDialog(page);
    expect(await openMount(page)).toBe(readWrite);
    expect((await mine(adminToken)).sort()).toEqual([readOnly, readWrite].sort());

    await page.getByRole('button', { name: 'New credential' }).click();
    const renewed = await shownUsername(page, readWrite);
    await closeDialog(page);
    expect(await openMount(page)).toBe(renewed);
    expect((await mine(adminToken)).sort()).toEqual([readOnly, readWrite, renewed].sort());
    await closeDialog(page);
  });

  it('does not hand out a credential revoked elsewhere', async () => {
    const { page } = suite;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    const first = await openMount(page);
    await closeDialog(page);
    await api('/mount-credentials/mine/revoke', adminToken, 'POST', { exportId: filesExport.id });
    const second = await openMount(page);
    expect(second).not.toBe(first);
    expect(await mine(adminToken)).toEqual([second]);
    await closeDialog(page);
  });

  it('lists my credentials and revokes one after confirmation; Mount then issues a new one', async () => {
    const { page } = suite;
    await api('/mount-credentials/mine/revoke', adminToken, 'POST', {});
    await signIn(page, 'admin', suite.homeport.adminPassword);
    const used = await openMount(page);
    await closeDialog(page);

    const section = page.getByRole('region', { name: 'Your mount credentials' });
    await section.getByText(used).filter({ visible: true }).waitFor();
    await section
      .getByRole('button', { name: `Revoke ${used}` })
      .first()
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByText(`Revoked ${used} (Files)`).waitFor();
    expect(await mine(adminToken)).toEqual([]);
    await section.getByText('No mount credentials in use').waitFor();

    const next = await openMount(page);
    expect(next).not.toBe(used);
    expect(await mine(adminToken)).toEqual([next]);
    await closeDialog(page);
  });

  it('masks the password in the rclone snippets, copies the real one, and names read-only remotes apart', async () => {
    const { page, context } = suite;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.homeport.url });
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await openMount(page);
    const dialog = page.getByRole('dialog');
    const password = await dialog.getByLabel('Password', { exact: true }).inputValue();
    expect(password.length).toBeGreaterThan(40);
    await dialog.getByRole('tab', { name: 'rclone' }).click();
    await dialog.locator('pre', { hasText: 'fusermount3 -u ~/homeport-files' }).waitFor();
    const shown = (await dialog.locator('pre').allInnerTexts()).join('\n');
    expect(shown).not.toContain(password);
    expect(shown).toContain('rclone config create homeport-files webdav');
    expect(shown).toContain('••••');
    expect(await dialog.innerText()).toContain('fuse3');

    await dialog.getByRole('button', { name: 'Copy rclone command' }).click();
    await dialog.getByRole('button', { name: 'Copy rclone command' }).getByText('Copied').waitFor();
    // A string: this file is type-checked without the DOM library.
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).toContain(`rclone obscure -- '${password}'`);

    await dialog.getByRole('switch', { name: 'Read-only' }).click();
    await dialog
      .locator('pre', { hasText: 'rclone config create homeport-files-ro webdav' })
      .first()
      .waitFor();
    await closeDialog(page);
  });
});

describe('member view', () => {
  it('shows no node address, machine id or folder path, no node actions, and the free space', async () => {
    const { page, homeport } = suite;
    const [node] = await api<{ machineId: string; directAddress: string }[]>('/nodes', adminToken);
    if (!node) throw new Error('no node');
    await signIn(page, MEMBER.username, MEMBER.password);
    await page.getByRole('article', { name: 'Node Closet NAS' }).waitFor();
    await page
      .getByText(/free of/)
      .filter({ visible: true })
      .first()
      .waitFor();
    const html = await page.content();
    for (const secret of [
      node.directAddress,
      new URL(homeport.davUrl).host,
      node.machineId,
      filesExport.path,
    ]) {
      expect(html).not.toContain(secret);
    }
    expect(await page.getByRole('button', { name: 'Add node' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Actions for node/ }).count()).toBe(0);

    // A member's own credentials are theirs to revoke too.
    const used = await openMount(page);
    await closeDialog(page);
    const section = page.getByRole('region', { name: 'Your mount credentials' });
    await section
      .getByRole('button', { name: `Revoke ${used}` })
      .first()
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByText(`Revoked ${used} (Files)`).waitFor();
    expect(await mine(memberToken)).not.toContain(used);
  });

  it('admins keep an Add node action once a node exists, with the agent command', async () => {
    const { page } = suite;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await page.getByRole('button', { name: 'Add node' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a storage node' });
    await dialog.locator('pre', { hasText: 'homeport agent --control-plane' }).waitFor();
  });
});

describe('phone', () => {
  const IPHONE =
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

  /** A phone-sized page with an iPhone's user agent; its own context, closed by the caller. */
  async function phonePage() {
    const context = await suite.browser.newContext({
      baseURL: suite.homeport.url,
      viewport: { width: 390, height: 844 },
      userAgent: IPHONE,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { context, page, pageErrors };
  }

  /** The element lies inside the phone's screen width (not pushed off to the right). */
  async function onScreen(page: Page, locator: ReturnType<Page['getByRole']>): Promise<void> {
    await locator.waitFor();
    const box = await locator.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 390).toBe(true);
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
  }

  it('exports are cards with Mount on screen; the Mount dialog guides phones instead of macOS', async () => {
    const { context, page, pageErrors } = await phonePage();
    try {
      await signIn(page, MEMBER.username, MEMBER.password);
      const card = page.getByRole('article', { name: 'Export Files' });
      await onScreen(page, card.getByRole('button', { name: 'Mount Files' }));
      await card.getByRole('button', { name: 'Mount Files' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('tab', { name: 'iPhone / Android', selected: true }).waitFor();
      expect(await dialog.getByRole('tab', { name: 'macOS' }).count()).toBe(0);
      await dialog.getByText('Connect to Server', { exact: false }).first().waitFor();
      expect(await dialog.innerText()).toContain('Android');
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the sharing dialog stacks each person with Remove on screen', async () => {
    const { context, page, pageErrors } = await phonePage();
    try {
      await signIn(page, 'admin', suite.homeport.adminPassword);
      await page
        .getByRole('article', { name: 'Export Files' })
        .getByRole('button', { name: 'Share Files' })
        .click();
      const dialog = page.getByRole('dialog', { name: 'Share Files' });
      const person = dialog.getByRole('article', { name: `Shared with ${MEMBER.username}` });
      await onScreen(page, person.getByRole('button', { name: `Stop sharing with ${MEMBER.username}` }));
      await onScreen(page, person.getByRole('radiogroup', { name: `Access for ${MEMBER.username}` }));
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
