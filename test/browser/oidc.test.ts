// Single sign-on in real Chromium against the built server and a real OpenID provider: an admin connects the
// provider in Settings → Authentication, a person clicks "Sign in with …", signs in on the provider's login
// page and lands in the shell; a refused group reads as an explanation; logout goes through the provider.

import {
  type HomeportInstance,
  launchChromium,
  type OidcProviderInstance,
  removeTempDirs,
  startHomeport,
  startOidcProvider,
  stopAll,
} from '@homeport/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestPage } from './support/page.js';

let homeport: HomeportInstance;
let idp: OidcProviderInstance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  homeport = await startHomeport({ requireWebUi: true });
  // The provider needs Homeport's address for its redirect URIs, so it starts second and is connected
  // through the settings page, as an admin would do it.
  idp = await startOidcProvider({
    redirectUris: [`${homeport.url}/api/v1/auth/oidc/callback`],
    postLogoutRedirectUris: [`${homeport.url}/login`],
    accounts: {
      alice: {
        preferred_username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        groups: ['staff'],
      },
      mallory: {
        preferred_username: 'mallory',
        email: 'mallory@evil.example',
        email_verified: true,
        groups: [],
      },
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await homeport?.process.stop();
  await stopAll();
  removeTempDirs();
});

beforeEach(async () => {
  ({ context, page, pageErrors } = await openTestPage(browser, homeport.url));
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

async function signInAsAdmin(): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(homeport.adminPassword);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('link', { name: 'Settings' }).waitFor();
}

/** On the provider's development login page: any password is accepted for a known login. */
async function signInAtProvider(login: string): Promise<void> {
  await page.waitForURL((url) => url.origin === new URL(idp.issuer).origin);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

describe('single sign-on', () => {
  // The tests build on each other: the provider is connected once, by the first.
  it('an admin connects the provider in Settings → Authentication', async () => {
    await signInAsAdmin();
    await page.goto('/settings/authentication');
    await expect
      .poll(() => page.getByLabel('Redirect URI', { exact: true }).inputValue())
      .toBe(`${homeport.url}/api/v1/auth/oidc/callback`);

    await page.getByLabel('Issuer URL', { exact: true }).fill(idp.issuer);
    await page.getByLabel('Client ID', { exact: true }).fill(idp.clientId);
    await page.getByLabel('Client secret', { exact: true }).fill(idp.clientSecret);
    await page.getByLabel('Provider name', { exact: true }).fill('Test IdP');
    await page.getByLabel('Scopes', { exact: true }).fill('openid profile email groups');
    const groups = page.getByLabel('Allowed groups', { exact: true }).and(page.locator('input'));
    await groups.fill('staff');
    await groups.press('Enter');
    await page.getByRole('switch', { name: 'Sign in with an OpenID provider' }).check({ force: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Authentication settings saved').waitFor();

    // After the reload the secret is not shown, only that one is saved.
    await expect
      .poll(() => page.getByLabel('Client secret', { exact: true }).getAttribute('placeholder'))
      .toBe('Saved (hidden)');
    expect(await page.getByLabel('Client secret', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(idp.clientSecret);
  });

  it("signs in through the provider's login page into the shell", async () => {
    await page.goto('/storage');
    // Sent to sign in first; the provider button takes the person where they were going afterwards.
    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.click();
    await signInAtProvider('alice');

    await page.getByRole('link', { name: 'Storage' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/storage');
    expect(await page.getByTestId('current-username').textContent()).toBe('alice');
  });

  it('explains a refused group on the login page', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await signInAtProvider('mallory');

    // The provider's name arrives with /auth/config; until then the message says "single sign-on".
    const alert = page.getByRole('alert').filter({ hasText: 'Your Test IdP account' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Your account is not allowed here');
    expect(await alert.textContent()).toContain(
      'Your Test IdP account is not in a group or email domain that may use this Homeport',
    );
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('link', { name: 'Storage' }).count()).toBe(0);
  });

  it('shows the admin how each user signs in', async () => {
    await signInAsAdmin();
    await page.goto('/settings/users');
    const aliceRow = page.getByRole('row').filter({ hasText: 'alice' });
    await aliceRow.waitFor();
    expect(await aliceRow.getByText('OIDC', { exact: true }).isVisible()).toBe(true);
    expect(await aliceRow.getByText('local', { exact: true }).count()).toBe(0);
    const adminRow = page.getByRole('row').filter({ hasText: 'you' });
    expect(await adminRow.getByText('local', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('row').filter({ hasText: 'mallory' }).count()).toBe(0);
  });

  it('logging out of a provider session signs out at the provider too and comes back to the login page', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await signInAtProvider('alice');
    await page.getByTestId('current-username').waitFor();

    await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${homeport.url}/login`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    // The Homeport session really ended.
    await page.goto('/storage');
    await page.waitForURL((url) => url.pathname === '/login');
  });
});
