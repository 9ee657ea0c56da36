// Attacks on the deploy module from the parties it talks to without trusting them: an app container answering
// health probes however it likes, and a compromised registry answering the registry client (endless tag
// pages, token realms pointing into this machine). Each runs against a small node:http stand-in on
// loopback: a compromised registry or a hostile app cannot be made from the real docker-registry or images.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createLogger } from '@homeport/core';
import { until } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { probeOnce } from '../src/deployer/health.js';
import { DeployError } from '../src/errors.js';
import { createRegistryClient } from '../src/registry/index.js';

const log = createLogger({ level: 'silent' });
const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port; // listening on TCP: an AddressInfo
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('a hostile app container', () => {
  it('cannot keep a health probe connection open with a body that never ends', async () => {
    const open = new Set<Socket>();
    let sent = 0;
    const port = await serve((req, res) => {
      open.add(req.socket);
      req.socket.on('close', () => open.delete(req.socket));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const result = await probeOnce(port, { path: '/health', expectedStatus: 200, timeoutMs: 1_000 }, 'app');
    expect(result.ok).toBe(true);
    // The probe has its status: the connection must go, or every probe leaves a socket read for ever.
    await until(() => open.size === 0, 5_000, 20);
    const after = sent;
    await new Promise((r) => setTimeout(r, 200));
    expect(sent - after).toBeLessThan(1 << 20);
  });
});

describe('a compromised registry', () => {
  it('cannot keep the tag listing going for ever with endless empty pages', async () => {
    let pages = 0;
    const port = await serve((_req, res) => {
      pages += 1;
      res.writeHead(200, {
        'content-type': 'application/json',
        link: `</v2/app/tags/list?n=100&last=p${pages}>; rel="next"`,
      });
      res.end(JSON.stringify({ name: 'app', tags: [] }));
    });
    const client = createRegistryClient({ timeoutMs: 2_000, maxBytes: 1 << 20, log });
    const outcome = await Promise.race([
      client.listTags(`127.0.0.1:${port}/app`).then(
        () => 'listed',
        (err: unknown) => err,
      ),
      new Promise((r) => setTimeout(() => r('still paging'), 10_000)),
    ]);
    expect(outcome).toBeInstanceOf(DeployError);
    expect((outcome as DeployError).code).toBe('registry_unavailable');
    expect(pages).toBeLessThan(200);
  });

  it('cannot send the registry credentials to a token realm on this machine when it is not on it itself', async () => {
    const seen: string[] = [];
    // A service of this machine (the token realm the registry names): it must never be asked.
    const local = await serve((req, res) => {
      seen.push(req.headers.authorization ?? '(none)');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'stolen' }));
    });
    // The registry, as if it were elsewhere (`registry.example.test`): DNS is the one thing faked here.
    const remote = await serve((req, res) => {
      if (req.headers.authorization === 'Bearer stolen') {
        res.writeHead(200, { 'docker-content-digest': `sha256:${'a'.repeat(64)}` });
        res.end();
        return;
      }
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://127.0.0.1:${local}/token",service="registry"`,
      });
      res.end();
    });
    const host = `registry.example.test:${remote}`;
    const viaLoopback: typeof fetch = (input, init) =>
      fetch(String(input).replace('registry.example.test', '127.0.0.1'), init);
    const client = createRegistryClient({
      timeoutMs: 2_000,
      maxBytes: 1 << 20,
      log,
      insecure: [host],
      fetch: viaLoopback,
    });
    const auth = { username: 'deployer', password: 'registry-password-1' };
    await expect(client.resolveDigest(`${host}/app`, 'v1', auth)).rejects.toMatchObject({
      code: 'registry_unavailable',
    });
    expect(seen).toEqual([]);
  });

  it('masks the credentials it echoes in its error answers (what the poller logs and a deploy records)', async () => {
    const auth = { username: 'deployer', password: 'registry-password-2' };
    const port = await serve((req, res) => {
      const sent = req.headers.authorization;
      if (sent === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' });
        res.end();
        return;
      }
      const decoded = Buffer.from(sent.slice(6), 'base64').toString('utf8');
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `${decoded} (${sent}) refused` }] }));
    });
    const client = createRegistryClient({ timeoutMs: 2_000, maxBytes: 1 << 20, log });
    for (const attempt of [
      () => client.resolveDigest(`127.0.0.1:${port}/app`, 'v1', auth),
      () => client.listTags(`127.0.0.1:${port}/app`, auth),
    ]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeployError);
      const message = (err as DeployError).message;
      expect(message).toContain('DENIED: deployer:********');
      expect(message).not.toContain(auth.password);
      expect(message).not.toContain(Buffer.from(`deployer:${auth.password}`).toString('base64'));
    }
  });
});
