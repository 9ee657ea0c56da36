// Settings → Storage and what it does, in real Chromium against the real built server and its embedded agent:
// an admin sets the default access of members to Read-write and a member's Storage page shows every export
// without a grant (live); "No access" in the Share dialog hides the export from that member again (live); a
// node registered by a betterNAS agent is marked as such with its own liveness wording; and a default set in
// the environment locks the control and names the variable.

import { startHomeport } from '@homeport/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiCall, sessionToken } from './support/api.js';
import { openTestPage, type TestPage } from './support/page.js';
import { type BrowserSuite, browserSuite } from './support/suite.js';

const BOOTSTRAP_TOKEN = 'storage-settings-bootstrap-token';

/** JSON API calls with a bearer token, for setting up and checking. */
const api = <T>(suite: BrowserSuite, path: string, token: string, method = 'GET', body?: unknown) =>
  apiCall<T>(suite.homeport.url, path, token, method, body);
const tokenFor = (suite: BrowserSuite, username: string, password: string) =>
  sessionToken(suite.homeport.url, username, password);

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** Opens /storage and resolves once the page's live event stream is open (so no change can slip past it). */
async function openStorage(page: Page): Promise<void> {
  const stream = page.waitForResponse((response) => response.url().includes('/api/v1/events'));
  await page.goto('/storage');
  expect((await stream).status()).toBe(200);
  await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
}

describe('default access and node kinds', () => {
  const suite = browserSuite(() =>
    startHomeport({
      requireWebUi: true,
      env: { HOMEPORT_NODE_NAME: 'Closet NAS', HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
    }),
  );

  let adminToken: string | undefined;
  const admin = async () => {
    adminToken ??= await tokenFor(suite, 'admin', suite.homeport.adminPassword);
    return adminToken;
  };

  /** A new member through the admin API. */
  async function newMember(username: string): Promise<{ username: string; password: string }> {
    const member = { username, password: `${username}-password-1234` };
    await api(suite, '/users', await admin(), 'POST', { ...member, role: 'member' });
    return member;
  }

  /** The embedded agent's export, once it has synced. */
  async function filesExport(): Promise<{ id: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const exports = await api<{ id: string; label: string }[]>(suite, '/exports', await admin());
      const files = exports.find((item) => item.label === 'Files');
      if (files) return files;
      if (Date.now() > deadline) throw new Error('the embedded agent never synced its export');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A second signed-in page (the member's), whose uncaught errors fail the test too. */
  async function memberPage(member: { username: string; password: string }): Promise<TestPage> {
    const opened = await openTestPage(suite.browser, suite.homeport.url);
    await signIn(opened.page, member.username, member.password);
    await openStorage(opened.page);
    return opened;
  }

  it('an admin sets Read-write in Settings → Storage, and a member sees the export without a grant, live', async () => {
    await filesExport();
    const member = await newMember('mia');
    const other = await memberPage(member);
    try {
      await other.page.getByText('Nothing is shared with you yet').waitFor();

      const { page } = suite;
      await signIn(page, 'admin', suite.homeport.adminPassword);
      await page.goto('/settings');
      await page.getByRole('tab', { name: 'Storage' }).click();
      await page.waitForURL((url) => url.pathname === '/settings/storage');
      const group = page.getByRole('radiogroup', { name: 'Default access for members' });
      await group.getByRole('radio', { name: 'None' }).waitFor();
      expect(await group.getByRole('radio', { name: 'None' }).isChecked()).toBe(true);
      expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
      await page.getByText('Every member sees and mounts every export, as in betterNAS.').waitFor();

      await group.getByRole('radio', { name: 'Read-write' }).check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Default access for members: Read-write').waitFor();
      const settings = await api<{ defaultAccess: string }>(suite, '/nas/settings', await admin());
      expect(settings.defaultAccess).toBe('read-write');

      // Told on `nas.shared`, without a reload.
      await other.page.getByRole('button', { name: 'Mount Files' }).first().waitFor();
      expect(other.pageErrors).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('"No access" in the Share dialog hides the export from that member, live', async () => {
    const files = await filesExport();
    await api(suite, '/nas/settings', await admin(), 'PUT', { defaultAccess: 'read-write' });
    const member = await newMember('noah');
    const other = await memberPage(member);
    try {
      const mount = other.page.getByRole('button', { name: 'Mount Files' }).first();
      await mount.waitFor();

      const { page } = suite;
      await signIn(page, 'admin', suite.homeport.adminPassword);
      await openStorage(page);
      await page.getByRole('button', { name: 'Share Files' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Share Files' });
      await dialog.getByTestId('default-access-note').getByText('Read-write').waitFor();
      expect(await dialog.getByTestId('default-access-note').innerText()).toContain(
        'Members without a grant get: Read-write',
      );

      await dialog.getByLabel('Member', { exact: true }).click();
      await page.getByRole('option', { name: member.username }).click();
      await dialog.getByRole('radiogroup', { name: 'Access', exact: true }).getByText('No access').click();
      await dialog.getByRole('button', { name: 'Hide', exact: true }).click();
      await page.getByText(`Files is now hidden from ${member.username}`).waitFor();
      const row = dialog
        .getByRole('radiogroup', { name: `Access for ${member.username}` })
        .filter({ visible: true });
      await row.waitFor();
      expect(await row.getByRole('radio', { name: 'No access' }).isChecked()).toBe(true);
      const grants = await api<{ grants: { userId: string; username: string; access: string }[] }>(
        suite,
        `/exports/${files.id}/grants`,
        await admin(),
      );
      expect(grants.grants.find((grant) => grant.username === member.username)?.access).toBe('none');

      // Told on the member's own topic, without a reload.
      await mount.waitFor({ state: 'detached' });
      await other.page.getByText('Nothing is shared with you yet').waitFor();
      expect(other.pageErrors).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('marks a node registered by a betterNAS agent, with its report instead of a heartbeat', async () => {
    // No X-Homeport-Agent header: the way a betterNAS agent registers.
    const response = await fetch(`${suite.homeport.url}/api/v1/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        machineId: 'old-nas-1',
        displayName: 'Old NAS',
        agentVersion: '0.4.2',
        directAddress: 'http://192.0.2.10:8090',
        relayAddress: null,
      }),
    });
    expect(response.ok).toBe(true);

    const { page } = suite;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await openStorage(page);
    const betternas = page.getByRole('article', { name: 'Node Old NAS' });
    await betternas.getByText('betterNAS agent', { exact: true }).waitFor();
    await betternas.getByText('Reported', { exact: true }).waitFor();
    expect(await betternas.innerText()).toContain('Homeport does not mark them offline by age');
    expect(await betternas.innerText()).toContain('cannot be revoked before they expire');
    // The status badge says what it rests on.
    await betternas.getByTitle(/^Reported online by its betterNAS agent/).waitFor();

    const homeport = page.getByRole('article', { name: 'Node Closet NAS' });
    await homeport.getByText('Last heartbeat', { exact: true }).waitFor();
    expect(await homeport.getByText('betterNAS agent', { exact: true }).count()).toBe(0);

    await page.getByRole('button', { name: 'Actions for node Old NAS' }).click();
    await page.getByRole('menu').getByText('cannot be revoked before they expire').waitFor();
    await page.keyboard.press('Escape');
  });

  it('on a phone, Settings → Storage and the Share dialog’s three choices stay on screen', async () => {
    const files = await filesExport();
    const member = await newMember('ola');
    await api(suite, `/exports/${files.id}/grants/${member.username}`, await admin(), 'PUT', {
      access: 'none',
    });
    const context = await suite.browser.newContext({
      baseURL: suite.homeport.url,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const onScreen = async (locator: ReturnType<Page['getByRole']>) => {
        await locator.waitFor();
        const box = await locator.boundingBox();
        expect(box !== null && box.x >= 0 && box.x + box.width <= 390).toBe(true);
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
      };

      await signIn(page, 'admin', suite.homeport.adminPassword);
      await page.goto('/settings/storage');
      await onScreen(page.getByRole('radio', { name: 'Read-write' }));
      await onScreen(page.getByRole('button', { name: 'Save' }));

      await openStorage(page);
      await page
        .getByRole('article', { name: 'Export Files' })
        .getByRole('button', { name: 'Share Files' })
        .click();
      const person = page
        .getByRole('dialog', { name: 'Share Files' })
        .getByRole('article', { name: `Shared with ${member.username}` });
      await onScreen(person.getByRole('radiogroup', { name: `Access for ${member.username}` }));
      await onScreen(person.getByRole('button', { name: `Stop sharing with ${member.username}` }));
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('default access set in the environment', () => {
  const suite = browserSuite(() =>
    startHomeport({
      requireWebUi: true,
      env: { HOMEPORT_EMBEDDED_AGENT: 'false', HOMEPORT_NAS_DEFAULT_ACCESS: 'read-only' },
    }),
  );

  it('locks the control in Settings → Storage and names the variable', async () => {
    const { page } = suite;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await page.goto('/settings/storage');
    const group = page.getByRole('radiogroup', { name: 'Default access for members' });
    await group.getByRole('radio', { name: 'Read-only' }).waitFor();
    await page.getByText('Set by HOMEPORT_NAS_DEFAULT_ACCESS (environment)').waitFor();
    expect(await group.getByRole('radio', { name: 'Read-only' }).isChecked()).toBe(true);
    for (const name of ['None', 'Read-only', 'Read-write']) {
      expect(await group.getByRole('radio', { name }).isDisabled()).toBe(true);
    }
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
  });
});
