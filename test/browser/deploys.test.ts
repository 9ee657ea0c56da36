// The Deploys page in real Chromium against the built server with the deploy module on a private dockerd and a
// local registry: an admin creates a project and a stage through the forms (a secret stays write-only, the
// server's warning is shown), deploys v1 and sees it live with its digest and its log, deploys v2, rolls back
// to v1 from the page, and the built-in proxy serves v1 again. A member sees no Deploys section.

import { request } from 'node:http';
import {
  type DockerdInstance,
  type PushedTestImage,
  pushTestImage,
  type RegistryInstance,
  startDockerd,
  startHomeport,
  startRegistry,
} from '@homeport/testkit';
import type { Locator, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { apiCall, sessionToken } from './support/api.js';
import { openTestPage } from './support/page.js';
import { type BrowserSuite, browserSuite } from './support/suite.js';

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** GET through the built-in proxy with this Host header (a fresh connection each time). */
function viaProxy(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The digest the stage panel says runs now ('' while nothing does). */
const liveDigest = (stage: Locator) => stage.getByTestId('live-digest').getAttribute('data-digest');

describe('Deploys page', () => {
  let dockerd: DockerdInstance | undefined;
  let registry: RegistryInstance | undefined;
  // Registered before the suite's hooks, so it runs after them: Homeport stops before its Docker does.
  afterAll(async () => {
    await Promise.all([dockerd?.stop(), registry?.stop()]);
  }, 60_000);
  const suite: BrowserSuite = browserSuite(async () => {
    [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
    return startHomeport({
      requireWebUi: true,
      env: { HOMEPORT_DOCKER_HOST: dockerd.dockerHost, HOMEPORT_PROXY_PORT: '0' },
    });
  });

  it('creates a project and stage, deploys v1 then v2 and rolls back to v1 from the page', {
    timeout: 90_000,
  }, async () => {
    if (!registry) throw new Error('no registry');
    const images: PushedTestImage[] = [];
    for (const tag of ['v1', 'v2'])
      images.push(await pushTestImage(registry, { repository: 'shop/web', tag, version: `shop-${tag}` }));
    const [v1, v2] = images as [PushedTestImage, PushedTestImage];
    const health = (await (await fetch(`${suite.homeport.url}/health`)).json()) as {
      deploy?: { proxyPort: number | null };
    };
    const proxyPort = health.deploy?.proxyPort;
    if (!proxyPort) throw new Error(`the deploy module's proxy is not listening: ${JSON.stringify(health)}`);

    const page = suite.page;
    await signIn(page, 'admin', suite.homeport.adminPassword);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deploys' }).click();
    await page.getByRole('heading', { name: 'Deploys', level: 1 }).waitFor();
    await page.getByText('No projects yet').waitFor();
    // The webhook URL and its token (hidden until asked for) are there for admins.
    await page.getByText(`${suite.homeport.url}/api/v1/deploy/webhooks/registry`).waitFor();
    const webhook = await apiCall<{ token: string }>(
      suite.homeport.url,
      '/deploy/webhooks/registry/token',
      await sessionToken(suite.homeport.url, 'admin', suite.homeport.adminPassword),
    );
    await page
      .getByRole('region', { name: 'Registry webhook' })
      .getByRole('button', { name: 'Show' })
      .click();
    expect(await page.getByTestId('webhook-token').textContent()).toBe(webhook.token);

    // A project; a name the API refuses is explained in the form.
    await page.getByRole('button', { name: 'New project' }).click();
    const newProject = page.getByRole('dialog', { name: 'New project' });
    await newProject.getByLabel('Project name').fill('Shop!');
    await newProject.getByRole('button', { name: 'Create project' }).click();
    await newProject.getByText('Lower-case letters, digits and dashes').waitFor();
    await newProject.getByLabel('Project name').fill('shop');
    await newProject.getByLabel('Description').fill('The shop front');
    await newProject.getByRole('button', { name: 'Create project' }).click();
    await newProject.waitFor({ state: 'hidden' });
    const project = page.getByRole('region', { name: 'shop' });
    await project.getByText('No stages yet').waitFor();

    // A stage, quick to gate and to drain, with a secret and a PORT variable the server warns about.
    await project.getByRole('button', { name: 'Add stage' }).click();
    const form = page.getByRole('dialog', { name: 'Add a stage to shop' });
    await form.getByLabel('Stage name').fill('production');
    await form.getByLabel('Image').fill(`${registry.host}/shop/web`);
    await form.getByLabel('Host name').fill('shop.test');
    await form.getByLabel('Path').fill('/health');
    await form.getByLabel('Interval (s)').fill('0.1');
    await form.getByLabel('Deploy timeout (s)').fill('30');
    await form.getByLabel('Drain timeout (s)').fill('1');
    await form.getByLabel('Stop timeout (s)').fill('1');
    await form.getByLabel('Watch after switch (s)').fill('1');
    await form.getByRole('button', { name: 'Add variable' }).click();
    await form.getByLabel('Variable 1 name').fill('API_KEY');
    await form.getByLabel('Variable 1 secret').check();
    await form.getByLabel('Variable 1 value').fill('s3cret-value-never-shown');
    await form.getByRole('button', { name: 'Add variable' }).click();
    await form.getByLabel('Variable 2 name').fill('PORT');
    await form.getByLabel('Variable 2 value').fill('1');
    await form.getByRole('button', { name: 'Add stage' }).click();
    await form.getByRole('alert').filter({ hasText: 'env PORT is set by Homeport' }).waitFor();
    await form.getByRole('button', { name: 'Done' }).click();
    await form.waitFor({ state: 'hidden' });
    const stage = project.getByRole('region', { name: 'production' });
    await stage.getByText('Nothing runs yet').waitFor();

    // The secret is write-only: the edit form shows that it is set, never its value.
    await stage.getByRole('button', { name: 'Edit stage' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit stage production' });
    const secretField = edit.getByLabel('Variable 1 value');
    expect(await secretField.inputValue()).toBe('');
    expect(await secretField.getAttribute('placeholder')).toBe('set — leave empty to keep');
    expect(await page.content()).not.toContain('s3cret-value-never-shown');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'hidden' });

    // A tag the stage's pattern refuses would be the API's to explain; here v1 is deployed from the page.
    const tagField = stage.getByLabel('Tag to deploy to production');
    await tagField.fill('v1');
    await stage.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => liveDigest(stage), { timeout: 30_000 }).toBe(v1.digest);
    const history = stage.getByRole('list', { name: 'Deploy history of production' });
    const first = history.getByRole('listitem', { name: 'Deploy #1' });
    await expect.poll(() => first.getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
    expect(await stage.getByTestId('live-health').textContent()).toMatch(/running|healthy/);
    await first.getByRole('button', { name: 'Details' }).click();
    await first.getByRole('table', { name: 'Steps of deploy #1' }).getByText('verify').waitFor();
    await first
      .getByRole('log', { name: 'Log of deploy #1' })
      .getByText(`deploy succeeded: r1 ${v1.digest}`)
      .waitFor();
    // The container's own output, read live.
    await stage.getByRole('button', { name: 'Container output' }).click();
    await stage
      .getByRole('log', { name: 'Container output of release r1' })
      .getByText('test image shop-v1 starting on')
      .waitFor();
    expect((await viaProxy(proxyPort, 'shop.test')).body).toContain('shop-v1');

    // v2, then back to v1 through the rollback dialog (r1 is the only earlier successful release).
    await tagField.fill('v2');
    await stage.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => liveDigest(stage), { timeout: 30_000 }).toBe(v2.digest);
    const second = history.getByRole('listitem', { name: 'Deploy #2' });
    await expect.poll(() => second.getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
    expect((await viaProxy(proxyPort, 'shop.test')).body).toContain('shop-v2');

    await stage.getByRole('button', { name: 'Roll back' }).click();
    const rollback = page.getByRole('dialog', { name: 'Roll back production' });
    const choice = rollback.getByRole('radio', { name: /^r1 · v1 · sha256:/ });
    await choice.waitFor();
    expect(await choice.isChecked()).toBe(true);
    expect(await rollback.getByRole('radio').count()).toBe(1);
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    await rollback.waitFor({ state: 'hidden' });
    await expect.poll(() => liveDigest(stage), { timeout: 30_000 }).toBe(v1.digest);
    const third = history.getByRole('listitem', { name: 'Deploy #3' });
    await expect.poll(() => third.getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
    expect(await third.textContent()).toContain('rollback');
    await expect.poll(async () => (await viaProxy(proxyPort, 'shop.test')).body).toContain('shop-v1');
  });

  it('shows members no Deploys section, and sends them away from its address', async () => {
    const admin = await sessionToken(suite.homeport.url, 'admin', suite.homeport.adminPassword);
    const member = { username: 'mia', password: 'mia-password-12345' };
    await apiCall(suite.homeport.url, '/users', admin, 'POST', { ...member, role: 'member' });
    const opened = await openTestPage(suite.browser, suite.homeport.url);
    try {
      await signIn(opened.page, member.username, member.password);
      const nav = opened.page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Storage' }).waitFor();
      expect(await nav.getByRole('link', { name: 'Deploys' }).count()).toBe(0);
      await opened.page.goto('/deploys');
      await opened.page.waitForURL((url) => url.pathname === '/storage');
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.context.close();
    }
  });
});
