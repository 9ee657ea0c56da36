// Creating an account on /register when the server allows it: the shared password fields check the rules and
// the confirmation before anything is sent, and a new member lands signed in.

import { startHomeport } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { browserSuite } from './support/suite.js';

const suite = browserSuite(() =>
  startHomeport({ requireWebUi: true, env: { HOMEPORT_REGISTRATION_ENABLED: 'true' } }),
);

describe('register page', () => {
  it('checks the password and its confirmation, then creates the account and signs it in', async () => {
    const { page } = suite;
    let registrations = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/register')) registrations += 1;
    });
    await page.goto('/register');
    await page.getByLabel('Username', { exact: true }).fill('newcomer');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password', { exact: true }).fill('different');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Passwords do not match').waitFor();
    expect(registrations).toBe(0);

    await page.getByLabel('Password', { exact: true }).fill('a-good-long-password');
    await page.getByLabel('Confirm password', { exact: true }).fill('a-good-long-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('link', { name: 'Storage' }).waitFor();
    expect(registrations).toBe(1);
    const me = await page.request.get('/api/v1/auth/session');
    expect(((await me.json()) as { user: { username: string; role: string } }).user).toMatchObject({
      username: 'newcomer',
      role: 'member',
    });
  });
});
