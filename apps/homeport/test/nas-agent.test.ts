// The NAS end to end with real processes: Homeport with its embedded agent, standalone agents, rclone as
// the WebDAV client; credentials checked by the agent itself (expiry, tampering, export, revocation).

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeDavKey, signMountCredential } from '@homeport/nas';
import {
  type HomeportInstance,
  runLitmus,
  runRclone,
  startAgent,
  startHomeport,
  tempDir,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, basic, type ExportBody, type MountProfileBody, signIn, waitFor } from './support/nas.js';

const DAV_SECRET = 'dav-secret-for-agent-tests-0123456789';
const BOOTSTRAP = 'bootstrap-token-for-agent-tests-0123';
let homeport: HomeportInstance;
let admin: string;
let folders: { a: string; b: string };

beforeAll(async () => {
  const root = tempDir('homeport-exports-');
  folders = { a: join(root, 'a'), b: join(root, 'b') };
  mkdirSync(folders.a);
  mkdirSync(folders.b);
  homeport = await startHomeport({
    env: {
      HOMEPORT_DAV_AUTH_SECRET: DAV_SECRET,
      HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      HOMEPORT_EXPORTS: `${folders.a}:Alpha,${folders.b}:Beta`,
      HOMEPORT_HEARTBEAT_INTERVAL: '200ms',
      HOMEPORT_NODE_OFFLINE_THRESHOLD: '2s',
      HOMEPORT_LOG_LEVEL: 'warn',
    },
  });
  admin = await signIn(homeport.url, 'admin', homeport.adminPassword);
  await waitFor('the embedded agent to sync its exports', async () => {
    const exports = (await api<ExportBody[]>(homeport.url, '/api/v1/exports', admin)).body;
    return exports.length === 2 ? exports : undefined;
  });
});

afterAll(async () => {
  await homeport?.process.stop();
});

async function exportNamed(label: string): Promise<ExportBody> {
  const exports = (await api<ExportBody[]>(homeport.url, '/api/v1/exports', admin)).body;
  const found = exports.find((item) => item.label === label);
  if (!found) throw new Error(`no export ${label}`);
  return found;
}

async function mount(label: string, readonly = false, token = admin): Promise<MountProfileBody> {
  const item = await exportNamed(label);
  const response = await api<MountProfileBody>(homeport.url, '/api/v1/mount-profiles/issue', token, {
    method: 'POST',
    body: { exportId: item.id, readonly },
  });
  expect(response.status).toBe(200);
  return response.body;
}

const dav = (profile: MountProfileBody, path = '', init: RequestInit = {}, credential = profile.credential) =>
  fetch(`${profile.mountUrl}${path}`, {
    ...init,
    headers: { authorization: basic(credential.username, credential.password), ...init.headers },
  });

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path);
  for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('embedded agent', () => {
  it('registers the node and reports its exports with their capacity', async () => {
    const nodes = (
      await api<{ status: string; directAddress: string }[]>(homeport.url, '/api/v1/nodes', admin)
    ).body;
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ status: 'online', directAddress: homeport.davUrl });
    const alpha = await exportNamed('Alpha');
    expect(alpha.mountPath).toBe('/dav/alpha/');
  });

  it('reports used and free space, and keeps free space current through heartbeats', async () => {
    const measured = async () => {
      const stats = await statfs(folders.a);
      return { capacity: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize };
    };
    const alpha = await exportNamed('Alpha');
    expect(alpha.capacityBytes).toBe((await measured()).capacity);
    expect(alpha.freeBytes).toBeGreaterThan(0);
    expect(alpha.usedBytes).toBeGreaterThan(0);
    expect((alpha.freeBytes ?? 0) + (alpha.usedBytes ?? 0)).toBeLessThanOrEqual(alpha.capacityBytes ?? 0);

    // 256 MiB more on the disk: the figure synced at start-up is now off by at least that much (others'
    // tests share the disk, so the check is "close to statfs now", not an exact difference).
    const big = join(folders.a, 'space-probe.bin');
    const handle = await open(big, 'w');
    const block = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 256; i += 1) await handle.write(block, 0, block.length);
    await handle.sync();
    await handle.close();
    try {
      await waitFor('the reported free space to follow the write', async () => {
        const reported = (await exportNamed('Alpha')).freeBytes ?? Number.NaN;
        return Math.abs(reported - (await measured()).free) < 64 * 2 ** 20 ? reported : undefined;
      });
    } finally {
      await unlink(big);
    }
  });

  it('answers Finder: OPTIONS without credentials is 200 with DAV 1, 2; GET on a folder is 200; the username alias works', async () => {
    const profile = await mount('Alpha');
    const options = await fetch(profile.mountUrl, { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('dav')).toContain('2');
    expect((await dav(profile)).status).toBe(200);
    writeFileSync(join(folders.a, 'alias.txt'), 'via alias');
    const viaAlias = await dav(profile, `${profile.credential.username}/alias.txt`);
    expect(viaAlias.status).toBe(200);
    expect(await viaAlias.text()).toBe('via alias');
    const listing = await dav(profile, `${profile.credential.username}/`, {
      method: 'PROPFIND',
      headers: { depth: '1' },
    });
    expect(await listing.text()).toContain(`${profile.credential.username}/alias.txt`);
  });

  it('passes litmus (every group, no warning) through the agent with an issued credential', async () => {
    const profile = await mount('Alpha');
    const result = await runLitmus(profile.mountUrl, {
      user: profile.credential.username,
      password: profile.credential.password,
    });
    console.log(`litmus against the embedded agent\n${result.summaryText}`);
    expect(result.groups.map((group) => group.group)).toEqual([
      'basic',
      'copymove',
      'props',
      'locks',
      'http',
    ]);
    expect(result.failures, result.output).toEqual([]);
    expect(result.warnings, result.output).toEqual([]);
    for (const group of result.groups) expect(group.passed, group.summary).toBe(group.run);
  });

  it('copies 200 small files and a 1 GiB file up and down with rclone, checksums equal', async () => {
    const profile = await mount('Alpha');
    const remote = {
      url: profile.mountUrl,
      user: profile.credential.username,
      password: profile.credential.password,
    };
    const local = tempDir('homeport-rclone-src-');
    mkdirSync(join(local, 'tree', 'deeper'), { recursive: true });
    for (let i = 0; i < 200; i += 1)
      writeFileSync(join(local, 'tree', i % 2 ? 'deeper' : '', `file-${i}.txt`), randomBytes(100 + i * 37));
    const big = join(local, 'big.bin');
    const handle = await open(big, 'w');
    const block = randomBytes(1 << 20);
    for (let i = 0; i < 1024; i += 1) await handle.write(block, 0, block.length);
    await handle.close();

    const up = await runRclone(remote, ['copy', local, 'dav:upload', '--transfers', '4'], {
      timeoutMs: 300_000,
    });
    expect(up.exitCode, up.stderr).toBe(0);
    const down = tempDir('homeport-rclone-dst-');
    const back = await runRclone(remote, ['copy', 'dav:upload', down, '--transfers', '4'], {
      timeoutMs: 300_000,
    });
    expect(back.exitCode, back.stderr).toBe(0);
    const check = await runRclone(remote, ['check', local, 'dav:upload', '--download'], {
      timeoutMs: 300_000,
    });
    expect(check.exitCode, check.stderr).toBe(0);
    expect(await sha256File(join(down, 'big.bin'))).toBe(await sha256File(big));
    expect(readFileSync(join(down, 'tree', 'file-0.txt'))).toEqual(
      readFileSync(join(local, 'tree', 'file-0.txt')),
    );
  }, 300_000);

  it('a read-only credential reads but refuses writes', async () => {
    const profile = await mount('Alpha', true);
    expect(profile.readonly).toBe(true);
    const remote = {
      url: profile.mountUrl,
      user: profile.credential.username,
      password: profile.credential.password,
    };
    const local = tempDir('homeport-rclone-ro-');
    writeFileSync(join(local, 'x.txt'), 'nope');
    const write = await runRclone(remote, [
      'copy',
      local,
      'dav:ro-attempt',
      '--retries',
      '1',
      '--low-level-retries',
      '1',
    ]);
    expect(write.exitCode).not.toBe(0);
    expect((await dav(profile, 'direct.txt', { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await dav(profile, '', { method: 'PROPFIND', headers: { depth: '1' } })).status).toBe(207);
  });

  it('refuses an expired or tampered credential with 401, and a credential for export A on export B with 403', async () => {
    const profile = await mount('Alpha');
    const nodeId = (await exportNamed('Alpha')).nasNodeId;
    const issued = JSON.parse(
      Buffer.from(profile.credential.password.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as { k: number; e: string };
    const key = nodeDavKey(DAV_SECRET, nodeId, issued.k);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expired = signMountCredential(
      {
        v: 2,
        keyId: issued.k,
        nodeId,
        exportId: issued.e,
        username: 'mount-expired',
        readonly: false,
        admin: false,
        issuedAt: nowSeconds - 3600,
        expiresAt: nowSeconds - 1,
      },
      key,
    );
    expect(
      (await dav(profile, '', {}, { ...profile.credential, username: 'mount-expired', password: expired }))
        .status,
    ).toBe(401);
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const password = profile.credential.password;
    const tampered = flip(password, password.length - 5);
    for (const forged of [tampered, flip(password, 12), flip(password, password.length - 1)]) {
      expect((await dav(profile, '', {}, { ...profile.credential, password: forged })).status).toBe(401);
    }
    expect(
      (await dav(profile, '', {}, { ...profile.credential, username: 'mount-someone-else' })).status,
    ).toBe(401);
    const rclone = await runRclone(
      { url: profile.mountUrl, user: profile.credential.username, password: tampered },
      ['lsf', 'dav:', '--retries', '1'],
    );
    expect(rclone.exitCode).not.toBe(0);
    const beta = await exportNamed('Beta');
    const cross = await fetch(`${homeport.davUrl}${beta.mountPath}`, {
      headers: { authorization: basic(profile.credential.username, profile.credential.password) },
    });
    expect(cross.status).toBe(403);
  });

  it('stops accepting a revoked credential once the agent heartbeats', async () => {
    const profile = await mount('Beta');
    expect((await dav(profile)).status).toBe(200);
    const revoked = await api<{ revoked: number }>(homeport.url, '/api/v1/mount-credentials/revoke', admin, {
      method: 'POST',
      body: { exportId: profile.exportId },
    });
    expect(revoked.body.revoked).toBeGreaterThanOrEqual(1);
    await waitFor('the agent to refuse the revoked credential', async () =>
      (await dav(profile)).status === 401 ? true : undefined,
    );
  });
});

describe('standalone agent', () => {
  it('keeps its machine id across restarts, goes offline when stopped (503), and serves while the control plane is away', async () => {
    // Its own control plane: the test stops it, and the suite's shared one must outlive every test.
    const homeport = await startHomeport({
      env: {
        HOMEPORT_DAV_AUTH_SECRET: DAV_SECRET,
        HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
        HOMEPORT_EMBEDDED_AGENT: 'false',
        HOMEPORT_NODE_OFFLINE_THRESHOLD: '2s',
        HOMEPORT_LOG_LEVEL: 'warn',
      },
    });
    const admin = await signIn(homeport.url, 'admin', homeport.adminPassword);
    const exportNamed = async (label: string) => {
      const exports = (await api<ExportBody[]>(homeport.url, '/api/v1/exports', admin)).body;
      const found = exports.find((item) => item.label === label);
      if (!found) throw new Error(`no export ${label}`);
      return found;
    };
    const folder = tempDir('homeport-standalone-');
    writeFileSync(join(folder, 'hello.txt'), 'standalone');
    const options = {
      controlPlaneUrl: homeport.url,
      bootstrapToken: BOOTSTRAP,
      exports: [`${folder}:Standalone`],
    };
    const first = await startAgent(options);
    const machineId = JSON.parse(readFileSync(join(first.stateDir, 'agent.json'), 'utf8'))
      .machineId as string;
    const nodeId = await waitFor('the standalone export', async () => {
      const found = (await api<ExportBody[]>(homeport.url, '/api/v1/exports', admin)).body.find(
        (item) => item.label === 'Standalone',
      );
      return found?.nasNodeId;
    });
    await first.process.stop();
    await waitFor('the node to go offline', async () => {
      const nodes = (await api<{ id: string; status: string }[]>(homeport.url, '/api/v1/nodes', admin)).body;
      return nodes.find((node) => node.id === nodeId)?.status === 'offline' ? true : undefined;
    });
    const exportId = (await exportNamed('Standalone')).id;
    const offline = await api<{ error: { code: string } }>(
      homeport.url,
      '/api/v1/mount-profiles/issue',
      admin,
      { method: 'POST', body: { exportId } },
    );
    expect(offline.status).toBe(503);
    expect(offline.body.error.code).toBe('node_offline');

    const second = await startAgent({ ...options, stateDir: first.stateDir, port: first.port });
    expect(JSON.parse(readFileSync(join(second.stateDir, 'agent.json'), 'utf8')).machineId).toBe(machineId);
    const nodes = (await api<{ id: string; machineId: string }[]>(homeport.url, '/api/v1/nodes', admin)).body;
    expect(nodes.filter((node) => node.machineId === machineId).map((node) => node.id)).toEqual([nodeId]);
    const profile = await waitFor('a mount profile', async () => {
      const issued = await api<MountProfileBody>(homeport.url, '/api/v1/mount-profiles/issue', admin, {
        method: 'POST',
        body: { exportId },
      });
      return issued.status === 200 ? issued.body : undefined;
    });
    expect(await (await dav(profile, 'hello.txt')).text()).toBe('standalone');

    // The control plane goes away: the agent keeps serving what was issued.
    await homeport.process.stop();
    const stillServed = await dav(profile, 'hello.txt');
    expect(stillServed.status).toBe(200);
    await second.process.stop();
  });
});
