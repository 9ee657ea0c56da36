// The registry client against a real registry (Debian docker-registry from the testkit, images pushed over
// its API): digests of tags, re-pushes, tag pages, basic auth, not-found. The Bearer token flow runs against
// a small node:http registry stand-in, as no token service can run here.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@homeport/core';
import { pushTestImage, type RegistryInstance, startRegistry } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployError } from '../src/errors.js';
import { createRegistryClient, type RegistryClientOptions } from '../src/registry/index.js';

const log = createLogger({ level: 'silent' });
const client = (overrides: Partial<RegistryClientOptions> = {}) =>
  createRegistryClient({ timeoutMs: 5000, maxBytes: 1 << 20, log, ...overrides });

let registry: RegistryInstance;
let locked: RegistryInstance;
const creds = { user: 'deployer', password: 'correct horse battery' };
beforeAll(async () => {
  [registry, locked] = await Promise.all([startRegistry(), startRegistry({ auth: creds })]);
});
afterAll(async () => {
  await Promise.all([registry.stop(), locked.stop()]);
});

describe('registry client', () => {
  it('resolves a tag to the digest of its push, and a re-pushed tag to the new digest', async () => {
    const first = await pushTestImage(registry, { repository: 'team/app', tag: 'v1', version: 'one' });
    const registryClient = client();
    expect(await registryClient.resolveDigest(`${registry.host}/team/app`, 'v1')).toBe(first.digest);
    const again = await pushTestImage(registry, { repository: 'team/app', tag: 'v1', version: 'two' });
    expect(again.digest).not.toBe(first.digest);
    expect(await registryClient.resolveDigest(`${registry.host}/team/app`, 'v1')).toBe(again.digest);
    expect(await registryClient.manifestExists(`${registry.host}/team/app`, first.digest)).toBe(true);
    expect(await registryClient.manifestExists(`${registry.host}/team/app`, `sha256:${'0'.repeat(64)}`)).toBe(
      false,
    );
  });

  it('reads the manifest itself when HEAD gives no digest header, and checks it', async () => {
    const pushed = await pushTestImage(registry, { repository: 'team/headless', tag: 'v1' });
    const methods: string[] = [];
    const stripping: typeof fetch = async (input, init) => {
      methods.push(init?.method ?? 'GET');
      const response = await fetch(input, init);
      if (init?.method !== 'HEAD') return response;
      const headers = new Headers(response.headers);
      headers.delete('docker-content-digest');
      return new Response(null, { status: response.status, headers });
    };
    expect(await client({ fetch: stripping }).resolveDigest(`${registry.host}/team/headless`, 'v1')).toBe(
      pushed.digest,
    );
    expect(methods).toEqual(['HEAD', 'GET']);
  });

  it('lists every tag of a repository', async () => {
    const tags = ['1.0.0', '1.1.0', '2.0.0', 'latest', 'v3'];
    for (const tag of tags) await pushTestImage(registry, { repository: 'team/many', tag, version: tag });
    expect([...(await client().listTags(`${registry.host}/team/many`))].sort()).toEqual([...tags].sort());
    await expect(client({ maxTags: 4 }).listTags(`${registry.host}/team/many`)).rejects.toMatchObject({
      code: 'registry_unavailable',
      message: /more than 4 tags/,
    });
  });

  // Debian's docker-registry (distribution 2.8) answers the whole list whatever `n` says: tag pagination came
  // with distribution 3. The Link-header paging is checked against a stand-in that pages like distribution 3.
  it('follows Link pages of the tags list, and refuses a link to another origin', async () => {
    const all = Array.from({ length: 7 }, (_, i) => `t${i}`);
    let foreignNext = false;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.search);
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length) {
        headers.link = foreignNext
          ? `<http://elsewhere.example.com/v2/team/app/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`
          : `</v2/team/app/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: 'team/app', tags: page }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port; // TCP: an AddressInfo
    try {
      const repository = `127.0.0.1:${port}/team/app`;
      expect(await client({ pageSize: 3 }).listTags(repository)).toEqual(all);
      expect(seen).toEqual(['?n=3', '?n=3&last=t2', '?n=3&last=t5']);
      await expect(client({ pageSize: 3, maxTags: 5 }).listTags(repository)).rejects.toMatchObject({
        code: 'registry_unavailable',
      });
      foreignNext = true;
      seen.length = 0;
      await expect(client({ pageSize: 3 }).listTags(repository)).rejects.toMatchObject({
        code: 'registry_unavailable',
        message: /links elsewhere/,
      });
      expect(seen).toEqual(['?n=3']);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('answers registry_not_found for an unknown repository or tag', async () => {
    await pushTestImage(registry, { repository: 'team/known', tag: 'v1' });
    const registryClient = client();
    await expect(registryClient.resolveDigest(`${registry.host}/team/known`, 'v9')).rejects.toMatchObject({
      code: 'registry_not_found',
    });
    await expect(registryClient.resolveDigest(`${registry.host}/team/nothing`, 'v1')).rejects.toMatchObject({
      code: 'registry_not_found',
    });
    await expect(registryClient.listTags(`${registry.host}/team/nothing`)).rejects.toMatchObject({
      code: 'registry_not_found',
    });
  });

  it('uses basic credentials; without them or with wrong ones the error says so', async () => {
    const pushed = await pushTestImage(locked, { repository: 'private/app', tag: 'v1' });
    const repository = `${locked.host}/private/app`;
    const registryClient = client();
    await expect(registryClient.resolveDigest(repository, 'v1')).rejects.toMatchObject({
      code: 'registry_unavailable',
      message: /requires credentials/,
    });
    await expect(
      registryClient.resolveDigest(repository, 'v1', { username: creds.user, password: 'wrong' }),
    ).rejects.toMatchObject({ code: 'registry_unavailable', message: /refused the credentials/ });
    const auth = { username: creds.user, password: creds.password };
    expect(await registryClient.resolveDigest(repository, 'v1', auth)).toBe(pushed.digest);
    expect(await registryClient.listTags(repository, auth)).toEqual(['v1']);
  });

  it('refuses repository names outside the grammar and tags that are not tags', async () => {
    const registryClient = client();
    for (const repository of [
      'app',
      `${registry.host}/Team/app`,
      `${registry.host}/team/../app`,
      `${registry.host}/team//app`,
      `${registry.host}/team/app?x=1`,
      `${registry.host}/team/app#x`,
      'evil.example.com:99999/app',
      `${registry.host}/team/app:v1`,
    ]) {
      await expect(registryClient.resolveDigest(repository, 'v1'), repository).rejects.toMatchObject({
        code: 'deploy_bad_request',
      });
    }
    for (const tag of ['', '../v1', 'v1/x', '-v1', 'a'.repeat(129), 'v1 v2']) {
      await expect(
        registryClient.resolveDigest(`${registry.host}/team/app`, tag),
        tag,
      ).rejects.toBeInstanceOf(DeployError);
    }
  });

  it('fetches a bearer token from the realm with the basic credentials, caches it, and refuses a plain-http realm elsewhere', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    let tokenRequests = 0;
    let realm = '';
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/token')) {
        tokenRequests++;
        const url = new URL(req.url, 'http://x');
        const basic = `Basic ${Buffer.from('robot:secret').toString('base64')}`;
        const ok =
          req.headers.authorization === basic && url.searchParams.get('scope') === 'repository:team/app:pull';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? JSON.stringify({ token: 'tok-1', expires_in: 300 }) : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${realm}",service="stand-in",scope="repository:team/app:pull"`,
        });
        res.end();
        return;
      }
      res.writeHead(200, { 'docker-content-digest': digest });
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port; // TCP: an AddressInfo
    try {
      realm = `http://127.0.0.1:${port}/token`;
      const registryClient = client();
      const auth = { username: 'robot', password: 'secret' };
      expect(await registryClient.resolveDigest(`127.0.0.1:${port}/team/app`, 'v1', auth)).toBe(digest);
      expect(await registryClient.resolveDigest(`127.0.0.1:${port}/team/app`, 'v2', auth)).toBe(digest);
      expect(tokenRequests).toBe(1);

      realm = 'http://token.example.com/token';
      await expect(client().resolveDigest(`127.0.0.1:${port}/team/app`, 'v1', auth)).rejects.toMatchObject({
        code: 'registry_unavailable',
        message: /refusing to send registry credentials/,
      });
      expect(tokenRequests).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
