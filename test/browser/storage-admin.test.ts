// An admin's node actions on the Storage page in real Chromium: a re-enrolment token to copy, a key rotation
// that ends the node's credentials, and forgetting a node.

import { startHomeport } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { browserSuite } from './support/suite.js';

const suite = browserSuite(() =>
  startHomeport({ requireWebUi: true, env: { HOMEPORT_NODE_NAME: 'Closet NAS' } }),
);

async function signInToStorage(): Promise<void> {
  const { page, homeport } = suite;
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(homeport.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Storage' }).click();
  await page.getByRole('button', { name: 'Actions for node Closet NAS' }).waitFor();
}

/** Outstanding credentials as the admin API lists them, through the page's own session cookie. */
async function outstandingCredentials(): Promise<number> {
  const { page } = suite;
  const response = await page.request.get('/api/v1/mount-credentials');
  return ((await response.json()) as { credentials: unknown[] }).credentials.length;
}

describe('storage: node actions (admin)', () => {
  it('shows a one-time re-enrolment token with the command to use it', async () => {
    await signInToStorage();
    const { page } = suite;
    await page.getByRole('button', { name: 'Actions for node Closet NAS' }).click();
    await page.getByRole('menuitem', { name: 'Re-enrol machine…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Re-enrol Closet NAS' });
    await dialog.waitFor();
    const token = await dialog.getByRole('textbox', { name: 'Re-enrolment token' }).inputValue();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The command shown (a hidden copy of it waits for the Copy button) carries the same token.
    const command = dialog.getByText(`HOMEPORT_NODE_BOOTSTRAP_TOKEN='${token}'`).first();
    expect(await command.isVisible()).toBe(true);
  });

  it('rotates the key after confirmation and says how many credentials ended', async () => {
    await signInToStorage();
    const { page } = suite;
    await page.getByRole('button', { name: 'Mount Files' }).first().click();
    await page.getByRole('dialog').getByText('Password', { exact: true }).first().waitFor();
    await page.keyboard.press('Escape');
    expect(await outstandingCredentials()).toBe(1);

    await page.getByRole('button', { name: 'Actions for node Closet NAS' }).click();
    await page.getByRole('menuitem', { name: 'Rotate credential key…' }).click();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('New key for Closet NAS; 1 mount credential(s) ended').waitFor();
    expect(await outstandingCredentials()).toBe(0);
  });

  it('forgets a node after confirmation', async () => {
    await signInToStorage();
    const { page } = suite;
    const before = (await (await page.request.get('/api/v1/nodes')).json()) as { id: string }[];
    await page.getByRole('button', { name: 'Actions for node Closet NAS' }).click();
    await page.getByRole('menuitem', { name: 'Forget node…' }).click();
    await page.getByRole('button', { name: 'Forget node' }).click();
    await page.getByText('Closet NAS was forgotten').waitFor();
    const after = (await (await page.request.get('/api/v1/nodes')).json()) as { id: string }[];
    expect(after.map((node) => node.id)).not.toContain(before[0]?.id);
  });
});
