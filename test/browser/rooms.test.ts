// The Rooms page in real Chromium against the real built server with the bus on its managed nats-server: two
// accounts in two browser contexts create a room, invite, exchange messages (each seen once, under the
// sender's handle, own echo included), send a file, read scrollback after a reload; the owner removes the
// other, whose open page says so at once. Settings → Bus lists the web UI's identities and revokes one.

import { startHomeport } from '@homeport/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiCall, sessionToken } from './support/api.js';
import { openTestPage, type TestPage } from './support/page.js';
import { type BrowserSuite, browserSuite } from './support/suite.js';

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** The messages on screen, as the page labels them ("You: …", "<handle>: …"), oldest first. */
async function shownMessages(page: Page): Promise<string[]> {
  return page
    .getByRole('log', { name: 'Messages' })
    .locator('li[data-message-id]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
}

/** Waits until the page shows exactly `expected` (polling: messages arrive on the live stream). */
async function waitForMessages(page: Page, expected: string[]): Promise<void> {
  await expect.poll(() => shownMessages(page), { timeout: 10_000 }).toEqual(expected);
}

/** Opens /rooms and resolves once the room list answered. */
async function openRooms(page: Page): Promise<void> {
  const rooms = page.waitForResponse(
    (response) => new URL(response.url()).pathname === '/api/v1/bus/gateway/rooms',
  );
  await page.goto('/rooms');
  expect((await rooms).status()).toBe(200);
  await page.getByRole('heading', { name: 'Rooms', level: 1 }).waitFor();
}

/** Writes a message in the open room and sends it with Enter; resolves once the field is empty again. */
async function send(page: Page, roomName: string, text: string): Promise<void> {
  const field = page.getByRole('textbox', { name: `Message ${roomName}` });
  await field.fill(text);
  await field.press('Enter');
  await expect.poll(() => field.inputValue()).toBe('');
}

describe('Rooms page', () => {
  const suite: BrowserSuite = browserSuite(() => startHomeport({ requireWebUi: true }));

  let adminToken: string | undefined;
  const admin = async () => {
    adminToken ??= await sessionToken(suite.homeport.url, 'admin', suite.homeport.adminPassword);
    return adminToken;
  };

  /** A new member account through the admin API. */
  async function newMember(username: string): Promise<{ username: string; password: string }> {
    const member = { username, password: `${username}-password-1234` };
    await apiCall(suite.homeport.url, '/users', await admin(), 'POST', { ...member, role: 'member' });
    return member;
  }

  /** A second signed-in browser context; its uncaught errors fail the test too. */
  async function secondPage(member: { username: string; password: string }): Promise<TestPage> {
    const opened = await openTestPage(suite.browser, suite.homeport.url);
    await signIn(opened.page, member.username, member.password);
    return opened;
  }

  // Two browser contexts, a room, four messages, a file and a removal: can outlast the default 30 s on a busy
  // shared machine.
  it('two accounts exchange messages, a file and scrollback; the removed one is told at once', {
    timeout: 90_000,
  }, async () => {
    const bob = await newMember('bob');
    const alice = suite.page;
    await signIn(alice, 'admin', suite.homeport.adminPassword);
    await openRooms(alice);
    await alice.getByText('No rooms yet').waitFor();

    // Create a room; the page opens it.
    await alice.getByRole('button', { name: 'New room' }).click();
    const create = alice.getByRole('dialog', { name: 'New room' });
    await create.getByLabel('Name').fill('Crew');
    await create.getByRole('button', { name: 'Create room' }).click();
    await alice.waitForURL(/\/rooms\/[^/]+$/);
    const roomPath = new URL(alice.url()).pathname;
    await alice.getByRole('heading', { name: 'Crew' }).waitFor();
    await alice.getByText('No messages yet. Say hello.').waitFor();

    // Invite bob by username from the members drawer.
    await alice.getByRole('button', { name: 'Members (1)' }).click();
    const members = alice.getByRole('dialog', { name: 'Members of Crew' });
    await members.getByLabel('Invite by username').fill('bob');
    await members.getByRole('button', { name: 'Invite' }).click();
    await members.getByRole('listitem', { name: 'Member bob' }).waitFor();
    await alice.keyboard.press('Escape');
    await members.waitFor({ state: 'hidden' });

    // Alice writes first: her own message shows once, when its echo arrives, under "You".
    await send(alice, 'Crew', 'hello from alice');
    await waitForMessages(alice, ['You: hello from alice']);

    const second = await secondPage(bob);
    try {
      const bobPage = second.page;
      await openRooms(bobPage);
      // Bob has not read it yet: the list says so.
      const crewLink = bobPage
        .getByRole('navigation', { name: 'Your rooms' })
        .getByRole('link', { name: 'Crew' });
      await crewLink.getByLabel('1 unread').waitFor();
      await crewLink.click();
      await bobPage.waitForURL((url) => url.pathname === roomPath);
      // The sender's display name (its handle), not an endpoint id.
      await waitForMessages(bobPage, ['admin: hello from alice']);
      expect(await bobPage.getByTestId('message-handle').allTextContents()).toEqual(['admin']);

      // Bob answers; both see it live, bob's own once.
      await send(bobPage, 'Crew', 'hi from bob');
      await waitForMessages(bobPage, ['admin: hello from alice', 'You: hi from bob']);
      await waitForMessages(alice, ['You: hello from alice', 'bob: hi from bob']);

      // A file, its name beyond Latin-1 (which a header cannot carry, so it goes percent-encoded): uploaded,
      // sent, offered to the other side as a download with its name and size.
      const bytes = Buffer.from('line one\nline two\n<script>alert(1)</script>\n');
      await bobPage
        .locator('input[type="file"]')
        .setInputFiles({ name: 'Bob’s notes.html', mimeType: 'text/html', buffer: bytes });
      await bobPage.getByTestId('pending-attachment').getByText('Bob’s notes.html').waitFor();
      await bobPage.getByRole('button', { name: 'Send' }).click();
      await bobPage.getByTestId('pending-attachment').waitFor({ state: 'detached' });
      const withFile = ['admin: hello from alice', 'You: hi from bob', 'You: (file Bob’s notes.html)'];
      await waitForMessages(bobPage, withFile);
      await waitForMessages(alice, [
        'You: hello from alice',
        'bob: hi from bob',
        'bob: (file Bob’s notes.html)',
      ]);
      const download = alice.getByRole('link', {
        name: `Download Bob’s notes.html (${bytes.length} bytes)`,
      });
      const href = await download.getAttribute('href');
      expect(href).toMatch(/^\/api\/v1\/bus\/gateway\/rooms\/[^/]+\/attachments\/[^/]+$/);
      expect(await download.getAttribute('download')).toBe('Bob’s notes.html');
      // Fetched with alice's session: the bytes as sent, as an attachment, never sniffed into a page.
      const fetched = await alice.context().request.get(href ?? '');
      expect(fetched.status()).toBe(200);
      expect(fetched.headers()['content-disposition']).toMatch(/^attachment/);
      expect(fetched.headers()['x-content-type-options']).toBe('nosniff');
      expect(fetched.headers()['content-type']).not.toMatch(/html/);
      expect(Buffer.from(await fetched.body()).equals(bytes)).toBe(true);

      // A reload reads the same conversation back from scrollback, each message once.
      await bobPage.reload();
      await waitForMessages(bobPage, withFile);
      await bobPage.getByText('Start of the conversation').waitFor();

      // Alice removes bob; his open page says so without a reload, and shows nothing of the room.
      await alice.getByRole('button', { name: 'Members (2)' }).click();
      await members.getByRole('button', { name: 'Remove bob' }).click();
      const confirm = alice.getByRole('dialog', { name: 'Remove bob from Crew?' });
      await confirm.getByRole('button', { name: 'Remove' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await bobPage.getByTestId('room-removed').waitFor();
      expect(await bobPage.getByText('You were removed from this room').isVisible()).toBe(true);
      expect(await bobPage.getByRole('log', { name: 'Messages' }).count()).toBe(0);
      // Alice's conversation goes on. A send that cannot reach the server leaves the draft in the field with
      // the reason, and nothing on screen; sent again, it shows once.
      await alice.keyboard.press('Escape');
      const postMessages = /\/api\/v1\/bus\/gateway\/rooms\/[^/]+\/messages$/;
      await alice.route(postMessages, (route) =>
        route.request().method() === 'POST' ? route.abort('connectionfailed') : route.continue(),
      );
      const field = alice.getByRole('textbox', { name: 'Message Crew' });
      await field.fill('bob is gone');
      await field.press('Enter');
      await alice.getByRole('alert').filter({ hasText: 'Not sent' }).waitFor();
      expect(await field.inputValue()).toBe('bob is gone');
      expect(await shownMessages(alice)).toHaveLength(3);
      await alice.unroute(postMessages);
      await field.press('Enter');
      await expect.poll(() => field.inputValue()).toBe('');
      await waitForMessages(alice, [
        'You: hello from alice',
        'bob: hi from bob',
        'bob: (file Bob’s notes.html)',
        'You: bob is gone',
      ]);
      // Opened again, the room is closed to bob.
      await bobPage.goto(roomPath);
      await bobPage.getByTestId('room-not-member').waitFor();
      expect(second.pageErrors).toEqual([]);
    } finally {
      await second.context.close();
    }
  });

  it('Settings → Bus lists the web UI identities with their accounts, and an admin revokes one', async () => {
    const carol = await newMember('carol');
    // Carol opens Rooms once: the gateway makes her identity and puts it on the allowlist.
    const second = await secondPage(carol);
    try {
      await openRooms(second.page);
      await second.page.goto('/settings/bus');
      await second.page.getByRole('heading', { name: 'My devices' }).waitFor();
      // A member sees her own devices, not the allowlist or the status.
      await second.page.getByRole('row', { name: /carol/ }).getByText('this web UI').waitFor();
      expect(await second.page.getByRole('heading', { name: 'Allowlist' }).count()).toBe(0);
      expect(second.pageErrors).toEqual([]);
    } finally {
      await second.context.close();
    }

    const page = suite.page;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await page.goto('/settings/bus');
    await page.getByTestId('bus-status').getByText('enforce').waitFor();
    const row = page.getByRole('row', { name: /carol/ });
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: 'Revoke carol' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke carol?' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await row.getByText('revoked').waitFor();
    expect(await row.getByRole('button', { name: 'Revoke carol' }).count()).toBe(0);
  });
});
