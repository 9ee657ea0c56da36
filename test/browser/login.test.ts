// The web UI in real Chromium against the real built server: sign in as the first admin, see the shell,
// log out; a wrong password shows an error on the login page.

import {
  type HomeportInstance,
  launchChromium,
  removeTempDirs,
  startHomeport,
  stopAll,
} from '@homeport/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestPage } from './support/page.js';

let homeport: HomeportInstance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  // requireWebUi: fail loudly (run `npm run build`) rather than test an API-only server.
  homeport = await startHomeport({ requireWebUi: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await homeport?.process.stop();
  // Anything a failed hook left behind (the browser, the server) is stopped by PID here.
  await stopAll();
  removeTempDirs();
});

beforeEach(async () => {
  ({ context, page, pageErrors } = await openTestPage(browser, homeport.url));
});

afterEach(async () => {
  await context.close();
  // An uncaught exception in the app is a bug even when the screen looks right.
  expect(pageErrors).toEqual([]);
});

async function signIn(username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('login page', () => {
  it('signs the admin in to the shell and logs out back to the login page', async () => {
    await signIn('admin', homeport.adminPassword);

    await page.getByRole('link', { name: 'Storage' }).waitFor();
    await page.getByRole('link', { name: 'Settings' }).waitFor();
    expect(await page.getByRole('link', { name: 'Storage' }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Settings' }).isVisible()).toBe(true);
    const header = page.getByRole('banner');
    expect(await header.getByText('admin', { exact: true }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).not.toBe('/login');

    await header.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('link', { name: 'Storage' }).count()).toBe(0);

    // The session really ended on the server: a protected page sends the browser back to sign in.
    await page.goto('/storage');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('shows an error and stays on the login page for a wrong password', async () => {
    await signIn('admin', `${homeport.adminPassword}-wrong`);

    const alert = page.getByRole('alert').filter({ hasText: /invalid username or password/i });
    await alert.waitFor();
    expect(await alert.isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('link', { name: 'Storage' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true);
  });
});
