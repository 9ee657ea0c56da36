// Accounts in the web UI, in real Chromium against the real built server: the login page loads without an
// error in the console, people change their own password in Settings → Sign-in, and on a phone the Users,
// API tokens and Sessions lists keep their badges and actions on screen.

import { startHomeport } from '@homeport/testkit';
import type { ConsoleMessage } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite } from './support/suite.js';

const suite = browserSuite(() =>
  startHomeport({ requireWebUi: true, env: { HOMEPORT_EMBEDDED_AGENT: 'false' } }),
);

async function signIn(username: string, password: string): Promise<void> {
  const { page } = suite;
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Settings' }).waitFor();
}

/** A session token of `username` from the API itself, for setting up what a test needs. */
async function apiLogin(username: string, password: string): Promise<string> {
  const response = await fetch(`${suite.homeport.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return ((await response.json()) as { token: string }).token;
}

async function api(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${suite.homeport.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

let members = 0;
/** A new member with a password, through the admin API. */
async function newMember(): Promise<{ username: string; password: string }> {
  members += 1;
  const member = { username: `member${members}`, password: `member-${members}-password` };
  const admin = await apiLogin('admin', suite.homeport.adminPassword);
  const response = await api(admin, 'POST', '/users', { ...member, role: 'member' });
  expect(response.status).toBe(201);
  return member;
}

describe('login page', () => {
  it('loads with no error in the console (the anonymous session probe is not a failed request)', async () => {
    const { page } = suite;
    const errors: string[] = [];
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const probe = page.waitForResponse((response) => response.url().includes('/api/v1/auth/'));
    await page.goto('/storage');
    // Sent to sign in: the app asked who is signed in and got "nobody".
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await probe).status()).toBe(200);
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
  });
});

describe('changing my own password', () => {
  it('a member changes it in Settings → Sign-in, stays signed in, and the old password stops working', async () => {
    const { page } = suite;
    const member = await newMember();
    const elsewhere = await apiLogin(member.username, member.password);
    await signIn(member.username, member.password);
    await page.goto('/settings/sign-in');
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });

    // A wrong current password is said next to its field, and changes nothing.
    await dialog.getByLabel('Current password', { exact: true }).fill('not-my-password');
    await dialog.getByLabel('New password', { exact: true }).fill('a-new-member-password');
    await dialog.getByLabel('Confirm new password', { exact: true }).fill('a-new-member-password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('That is not your current password').waitFor();

    await dialog.getByLabel('Current password', { exact: true }).fill(member.password);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Your password was changed').waitFor();

    // This browser is still signed in; the other session is not; only the new password works.
    await page.goto('/settings/sessions');
    await page.getByRole('row').filter({ hasText: 'This device' }).waitFor();
    expect((await api(elsewhere, 'GET', '/auth/me')).status).toBe(401);
    expect(
      (
        await fetch(`${suite.homeport.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(member),
        })
      ).status,
    ).toBe(401);
    expect(await apiLogin(member.username, 'a-new-member-password')).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an admin's own row offers to change their password where it asks for the current one, not a reset", async () => {
    const { page, homeport } = suite;
    await signIn('admin', homeport.adminPassword);
    await page.goto('/settings/users');
    await page.getByRole('button', { name: 'Actions for admin' }).click();
    expect(await page.getByRole('menuitem', { name: 'Reset password…' }).count()).toBe(0);
    await page.getByRole('menuitem', { name: 'Change my password…' }).click();
    await page.waitForURL('**/settings/sign-in');
    await page.getByRole('button', { name: 'Change password' }).waitFor();
  });
});

describe('disabling a user', () => {
  it('asks first, then disables the member and says so', async () => {
    const { page } = suite;
    const member = await newMember();
    await signIn('admin', suite.homeport.adminPassword);
    await page.goto('/settings/users');
    await page.getByRole('button', { name: `Actions for ${member.username}` }).click();
    await page.getByRole('menuitem', { name: 'Disable' }).click();
    const dialog = page.getByRole('dialog', { name: `Disable ${member.username}?` });
    await dialog.getByText(`${member.username} will be signed out everywhere`).waitFor();
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await page.getByText(`${member.username} was disabled`).waitFor();
    const admin = await apiLogin('admin', suite.homeport.adminPassword);
    const users = (await (await api(admin, 'GET', '/users')).json()) as {
      users: { username: string; status: string }[];
    };
    expect(users.users.find((user) => user.username === member.username)?.status).toBe('disabled');
  });
});

describe('on a phone', () => {
  it('keeps the badges and the actions of Users, API tokens and Sessions on screen', async () => {
    const { page, homeport } = suite;
    await page.setViewportSize({ width: 375, height: 740 });
    const admin = await apiLogin('admin', homeport.adminPassword);
    expect(
      (await api(admin, 'POST', '/auth/tokens', { name: 'a-token-with-a-long-name-for-ci' })).status,
    ).toBe(201);
    await newMember();
    await signIn('admin', homeport.adminPassword);

    const onScreen = async (locator: ReturnType<typeof page.getByRole>) => {
      await locator.waitFor();
      const box = await locator.boundingBox();
      expect(box).not.toBeNull();
      if (!box) return;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(375);
    };

    await page.goto('/settings/users');
    const adminCard = page.getByRole('article', { name: 'User admin' });
    await onScreen(adminCard.getByRole('button', { name: 'Actions for admin' }));
    await onScreen(adminCard.getByText('admin', { exact: true }).nth(1));
    await onScreen(adminCard.getByText('active', { exact: true }));
    await onScreen(page.getByRole('article', { name: `User member${members}` }).getByRole('button'));

    await page.goto('/settings/tokens');
    await onScreen(page.getByRole('button', { name: 'Revoke a-token-with-a-long-name-for-ci' }));

    await page.goto('/settings/sessions');
    const thisDevice = page.getByRole('article', { name: /\(this device\)/ });
    await onScreen(thisDevice.getByText('This device'));
    await onScreen(thisDevice.getByRole('button', { name: 'Revoke' }));
  });
});
