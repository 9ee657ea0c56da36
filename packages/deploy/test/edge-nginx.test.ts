// The nginx file edge against a real nginx (testkit's, with the edge folder included in its http block):
// client → nginx → built-in proxy → node upstreams; `nginx -t` and a graceful `nginx -s reload` for real.

import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@homeport/core';
import { type NginxInstance, startNginx, tempDir, until } from '@homeport/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNginxEdge, type EdgeDriver, nginxReload } from '../src/edge/index.js';
import { DeployError } from '../src/errors.js';
import {
  echoUpgrades,
  openUpgrade,
  send,
  startNamedUpstream,
  startProxy,
  type TestProxy,
  type TestUpstream,
} from './proxy-support.js';

const log = createLogger({ level: 'silent' });
let nginx: NginxInstance;
let proxy: TestProxy;
let upstreams: TestUpstream[];
let confDir: string;
beforeAll(async () => {
  confDir = tempDir('homeport-edge-nginx-');
  [nginx, proxy] = await Promise.all([startNginx({ include: `${confDir}/*.conf` }), startProxy()]);
  upstreams = await Promise.all(['a', 'b', 'c'].map((name) => startNamedUpstream(name)));
  echoUpgrades(upstreams[0] as TestUpstream, 'a');
  for (const [index, name] of ['a', 'b', 'c'].entries()) {
    proxy.proxy.setRoute(`${name}.example.test`, {
      upstream: (upstreams[index] as TestUpstream).url,
      stage: `${name}/production`,
      release: 'r1',
      color: 'blue',
    });
  }
});
afterAll(async () => {
  for (const upstream of upstreams) await upstream.close();
  await proxy.close();
  await nginx.daemon.stop();
});

let reloads = 0;
afterEach(async () => {
  // Back to no hosts, through nginx, so the next test starts from a loaded empty config.
  for (const name of readdirSync(confDir)) if (!name.startsWith('homeport')) unlinkSync(join(confDir, name));
  await newEdge().sync([]);
  unlinkSync(join(confDir, 'homeport_common.conf'));
});

function newEdge(): EdgeDriver {
  const real = nginxReload({
    args: [
      '-c',
      join(nginx.root, 'nginx.conf'),
      '-p',
      `${nginx.root}/`,
      '-e',
      join(nginx.root, 'logs', 'nginx_error.log'),
    ],
  });
  return createNginxEdge({
    confDir,
    proxyUpstream: `127.0.0.1:${proxy.port}`,
    listen: [`127.0.0.1:${nginx.port}`],
    log,
    reload: async () => {
      reloads++;
      const before = nginx.workers();
      await real();
      // `nginx -s reload` only signals the master. Until every worker from before has left, a new connection
      // may still meet one with the previous config (seen under load: the next request after the new config
      // answered went to an old worker), so a test would read a state nginx is still leaving.
      await until(() => {
        const now = nginx.workers();
        return now.length > 0 && now.every((pid) => !before.includes(pid));
      }, 20_000);
    },
  });
}

/** Which upstream answers `host` through nginx ('' when nginx's own default server does). */
async function servedBy(host: string): Promise<string> {
  const res = await send(nginx.port, host, { path: '/x' });
  return String(res.headers['x-upstream'] ?? '');
}

describe('nginx edge', () => {
  it('adds a host (requests and a WebSocket reach the upstream through nginx) and removes it', async () => {
    const edge = newEdge();
    expect(await servedBy('a.example.test')).toBe('');
    await edge.addHost('a.example.test');
    expect(await servedBy('a.example.test')).toBe('a');
    const res = await send(nginx.port, 'a.example.test', { path: '/x' });
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers.host).toBe('a.example.test');

    const ws = await openUpgrade(nginx.port, 'a.example.test');
    const echoed = ws.next();
    ws.socket.write('ping');
    expect(await echoed).toBe('a:ping');
    ws.socket.destroy();

    const file = join(confDir, 'homeport-a.example.test.conf');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(confDir).sort()).toEqual(['homeport-a.example.test.conf', 'homeport_common.conf']);

    await edge.removeHost('a.example.test');
    expect(await servedBy('a.example.test')).toBe('');
    expect(readdirSync(confDir)).toEqual(['homeport_common.conf']);
  });

  it('keeps the previous config serving when nginx refuses the new one, and restores the files', async () => {
    const edge = newEdge();
    await edge.addHost('a.example.test');
    expect(await servedBy('a.example.test')).toBe('a');
    const before = readdirSync(confDir).sort();
    // Someone's file with an include that does not exist: `nginx -t` fails for every change from now on.
    writeFileSync(join(confDir, 'zz-operator.conf'), 'include /nonexistent-homeport-test/missing.conf;\n');

    const added = edge.addHost('b.example.test');
    await expect(added).rejects.toBeInstanceOf(DeployError);
    await expect(added).rejects.toMatchObject({ code: 'edge_failed', message: /nonexistent-homeport-test/ });
    await expect(edge.removeHost('a.example.test')).rejects.toMatchObject({ code: 'edge_failed' });
    expect(
      readdirSync(confDir)
        .filter((n) => n !== 'zz-operator.conf')
        .sort(),
    ).toEqual(before);
    expect(await servedBy('a.example.test')).toBe('a');
    expect(await servedBy('b.example.test')).toBe('');

    unlinkSync(join(confDir, 'zz-operator.conf'));
    await edge.addHost('b.example.test');
    expect(await servedBy('b.example.test')).toBe('b');
  });

  it('sync converges to exactly the given hosts and reloads only when a file changed', async () => {
    const edge = newEdge();
    // A file of a host no stage has any more, from an earlier run.
    writeFileSync(
      join(confDir, 'homeport-old.example.test.conf'),
      'server { listen 127.0.0.1:1; server_name old.example.test; }\n',
    );
    const start = reloads;
    await edge.sync(['b.example.test', 'a.example.test']);
    expect(reloads - start).toBe(1);
    expect(readdirSync(confDir).sort()).toEqual([
      'homeport-a.example.test.conf',
      'homeport-b.example.test.conf',
      'homeport_common.conf',
    ]);
    expect(await servedBy('b.example.test')).toBe('b');
    await edge.sync(['B.example.test', 'c.example.test']);
    expect(await servedBy('c.example.test')).toBe('c');
    expect(await servedBy('a.example.test')).toBe('');
    const content = readFileSync(join(confDir, 'homeport-c.example.test.conf'), 'utf8');
    await edge.sync(['c.example.test', 'b.example.test']);
    await edge.addHost('c.example.test');
    await edge.removeHost('a.example.test');
    expect(reloads - start).toBe(2);
    expect(readFileSync(join(confDir, 'homeport-c.example.test.conf'), 'utf8')).toBe(content);
  });

  it('refuses host names that could break out of a server_name or a file name, writing nothing', async () => {
    const edge = newEdge();
    const start = reloads;
    for (const host of [
      'a.example.test; include /etc/passwd',
      'a.example.test}',
      '../../etc/nginx/nginx',
      '*.example.test',
      '~^(.*)$',
      'a.example.test\nserver',
      'a.example.test:80',
    ]) {
      await expect(edge.addHost(host), host).rejects.toMatchObject({ code: 'deploy_bad_request' });
      await expect(edge.sync(['b.example.test', host]), host).rejects.toMatchObject({
        code: 'deploy_bad_request',
      });
    }
    expect(readdirSync(confDir)).toEqual([]);
    expect(reloads).toBe(start);
    expect(() =>
      createNginxEdge({ confDir, proxyUpstream: '127.0.0.1:80; evil', listen: ['80'], log }),
    ).toThrow(/proxyUpstream/);
    expect(() =>
      createNginxEdge({ confDir, proxyUpstream: '127.0.0.1:80', listen: ['80 ssl; include x'], log }),
    ).toThrow(/listen/);
  });
});
