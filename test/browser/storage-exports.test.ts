// An admin's exported folders on the Storage page in real Chromium, against a real Homeport whose embedded
// agent has HOMEPORT_EXPORT_ROOTS: add a folder (the agent makes it and serves it), rename it, remove it
// (the files stay); the configured export is shown as such. (Members get 403 from these routes:
// packages/nas/test/managed-exports.test.ts.)

import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHomeport, tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { browserSuite } from './support/suite.js';

const roots = realpathSync(tempDir('homeport-export-roots-'));
/** Well under the embedded agent's 30 s heartbeat. */
const APPLIED_MS = 10_000;

const suite = browserSuite(() =>
  startHomeport({
    requireWebUi: true,
    env: {
      HOMEPORT_NODE_NAME: 'Closet NAS',
      HOMEPORT_EXPORT_ROOTS: roots,
      // The default heartbeat (30 s): an admin's change is applied sooner because the control plane nudges
      // its embedded agent, which these waits (10 s) check.
      HOMEPORT_HEARTBEAT_INTERVAL: undefined,
    },
  }),
);

async function signInToStorage(): Promise<void> {
  const { page, homeport } = suite;
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(homeport.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Storage' }).click();
  await page.getByRole('region', { name: 'Folders of Closet NAS' }).waitFor();
}

describe('storage: exported folders (admin)', () => {
  it('adds a folder inside a root, renames it and removes it, keeping its files', async () => {
    await signInToStorage();
    const { page } = suite;
    const folders = page.getByRole('region', { name: 'Folders of Closet NAS' });
    expect(await folders.getByText('from configuration').count()).toBe(1);

    await folders.getByRole('button', { name: 'Add folder' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a folder on Closet NAS' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill('Photos/2026');
    await dialog.getByRole('textbox', { name: 'Label' }).fill('Holiday photos');
    await dialog.getByRole('button', { name: 'Add folder' }).click();
    await folders.getByText('Holiday photos').waitFor();
    // Served once the agent applied it: the warning goes, and the export is listed with its mount button.
    await folders
      .getByText('Not served yet', { exact: false })
      .waitFor({ state: 'detached', timeout: APPLIED_MS });
    await page.getByRole('button', { name: 'Mount Holiday photos' }).first().waitFor({ timeout: APPLIED_MS });
    const folder = join(roots, 'Photos', '2026');
    expect(existsSync(folder)).toBe(true);
    writeFileSync(join(folder, 'beach.jpg'), 'sand');

    await folders.getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename Holiday photos' });
    await rename.getByRole('textbox', { name: 'Label' }).fill('Pictures');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await folders.getByText('Pictures').waitFor();
    await page.getByRole('button', { name: 'Mount Pictures' }).first().waitFor({ timeout: APPLIED_MS });

    await folders.getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('dialog', { name: 'Stop exporting Pictures?' });
    await confirm.getByText('nothing is deleted', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Stop exporting' }).click();
    await page.getByText('Pictures is no longer exported').waitFor();
    await page
      .getByRole('button', { name: 'Mount Pictures' })
      .waitFor({ state: 'detached', timeout: APPLIED_MS });
    expect(existsSync(join(folder, 'beach.jpg'))).toBe(true);
  });

  it('shows a refusal the page can act on (a folder path leaving its root)', async () => {
    await signInToStorage();
    const { page } = suite;
    mkdirSync(join(roots, 'kept'), { recursive: true });
    const folders = page.getByRole('region', { name: 'Folders of Closet NAS' });
    await folders.getByRole('button', { name: 'Add folder' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a folder on Closet NAS' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill('kept/../../etc');
    await dialog.getByRole('textbox', { name: 'Label' }).fill('Sneaky');
    await dialog.getByRole('button', { name: 'Add folder' }).click();
    await page.getByText('".."', { exact: false }).first().waitFor();
    expect(await folders.getByText('Sneaky').count()).toBe(0);
  });
});
