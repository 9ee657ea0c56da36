// The web UI while the server goes away and comes back, in real Chromium against a real server stopped by PID
// and started again on the same port and data dir: the "Reconnecting…" banner and the stale hint come and
// go, what changed meanwhile is reloaded, and a page whose code was not loaded yet shows what happened
// instead of a white screen, then loads by itself once the server is back.

import { launchChromium, removeTempDirs, stopAll } from '@homeport/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestPage } from './support/page.js';
import { type RestartableHomeport, restartableHomeport } from './support/restartable-homeport.js';

let homeport: RestartableHomeport;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  homeport = await restartableHomeport();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await homeport?.stop();
  await stopAll();
  removeTempDirs();
});

beforeEach(async () => {
  if (!homeport.process()) await homeport.start();
  ({ context, page, pageErrors } = await openTestPage(browser, homeport.url));
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

async function signIn(): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(homeport.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Settings' }).waitFor();
}

const banner = () => page.getByTestId('connection-banner');

describe('the server goes away while a page is open', () => {
  it('shows "Reconnecting…" and marks live data stale, then reloads what changed once it is back', async () => {
    await signIn();
    await page.goto('/settings/users');
    await page.getByRole('row').filter({ hasText: 'admin' }).waitFor();
    expect(await banner().count()).toBe(0);

    await homeport.stop();
    // The event stream drops, the health probe fails: the banner says so within moments.
    await banner().getByText('Reconnecting…').waitFor({ timeout: 15_000 });
    await page.getByTestId('stale-hint').waitFor();

    // Changed while the server was down (from the command line, on the same data dir).
    const added = homeport.cli(['user', 'add', 'bob', '--password-stdin'], 'bob-password-123\n');
    expect(added.status, added.stderr).toBe(0);

    await homeport.start();
    await banner().waitFor({ state: 'detached', timeout: 20_000 });
    expect(await page.getByTestId('stale-hint').count()).toBe(0);
    // Events published while it was down are gone with the old process: the list was loaded again.
    await page.getByRole('row').filter({ hasText: 'bob' }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('row').filter({ hasText: 'bob' }).isVisible()).toBe(true);
  });

  it('shows what happened when a page cannot be loaded, and loads it once the server is back', async () => {
    await signIn();
    await page.goto('/storage');
    await page.getByRole('heading', { name: 'Storage' }).waitFor();

    await homeport.stop();
    // Settings' code was never loaded in this tab: its download fails while the server is down.
    await page.getByRole('link', { name: 'Settings' }).click();
    const problem = page.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await problem.waitFor({ timeout: 15_000 });
    expect(await problem.getByRole('button', { name: 'Reload page' }).isVisible()).toBe(true);
    // The shell stays: the navigation still works.
    expect(await page.getByRole('link', { name: 'Storage' }).isVisible()).toBe(true);

    await homeport.start();
    // Retried on its own when the connection returns.
    await page.getByRole('tab', { name: 'Users' }).waitFor({ timeout: 20_000 });
    await page.getByRole('row').filter({ hasText: 'admin' }).waitFor();
    expect(await problem.count()).toBe(0);
  });
});
