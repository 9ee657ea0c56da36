// Exports added from the UI, end to end: a real control plane on a loopback port and a real agent (from the
// sources) with HOMEPORT_EXPORT_ROOTS. Admins add, rename and remove; the agent checks every folder itself
// (symlinks out refused), serves the new set on the same port (in process, and with two WebDAV workers), a
// rename keeps the export's id, grants and credentials, and a removal ends them while the files stay.

import { existsSync, mkdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFromConfig } from '../src/agent/embedded.js';
import {
  ManagedFolderRefused,
  prepareManagedFolder,
  resolveExportRoots,
} from '../src/agent/managed-exports.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-managed-export-tests';

interface ManagedExport {
  id: string;
  root: string;
  relativePath: string;
  label: string;
  mountPath: string;
  exportId: string | null;
}
interface ExportView {
  id: string;
  label: string;
  nasNodeId: string;
  mountPath: string;
  tags: string[];
}

let control: TestHomeport;
let controlUrl: string;
let admin: string;
let mia: { id: string; token: string };
const agents: ReturnType<typeof agentFromConfig>[] = [];

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  controlUrl = await control.homeport.listen();
  admin = await control.login();
  const created = await control.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(admin),
    payload: { username: 'mia', password: 'member-password' },
  });
  mia = { id: created.json<{ id: string }>().id, token: await control.login('mia', 'member-password') };
}, 60_000);

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await control?.close();
  removeTempDirs();
});

interface World {
  nodeId: string;
  root: string;
  files: string;
  logs: Record<string, unknown>[];
}

/** A real agent with a configured export `<dir>/files` ("Files <name>") and the root `<dir>/nas`. */
async function startAgent(name: string, extraEnv: Record<string, string> = {}): Promise<World> {
  const dir = tempDir(`homeport-managed-${name}-`);
  const files = join(dir, 'files');
  const root = join(dir, 'nas');
  mkdirSync(files, { recursive: true });
  mkdirSync(root, { recursive: true });
  const logs: Record<string, unknown>[] = [];
  const agent = agentFromConfig({
    config: new Config({
      env: {
        HOMEPORT_CONTROL_PLANE_URL: controlUrl,
        HOMEPORT_EXPORTS: `${files}:Files ${name}`,
        HOMEPORT_EXPORT_ROOTS: root,
        HOMEPORT_AGENT_STATE_DIR: join(dir, 'agent'),
        HOMEPORT_AGENT_LISTEN: '127.0.0.1:0',
        HOMEPORT_HEARTBEAT_INTERVAL: '100ms',
        HOMEPORT_MACHINE_ID: `machine-${name}`,
        ...extraEnv,
      },
    }),
    log: createLogger({
      level: 'info',
      destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    }),
    version: 'test',
    bootstrapToken: BOOTSTRAP,
  });
  agents.push(agent);
  await agent.start();
  const nodeId = await agent.registered();
  return { nodeId, root: realpathSync(root), files, logs };
}

const api = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  token: string,
  payload?: object,
) =>
  control.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: bearer(token),
    ...(payload ? { payload } : {}),
  });

const listManaged = async (nodeId: string) =>
  (await api('GET', `/nodes/${nodeId}/managed-exports`, admin)).json<{
    roots: string[];
    exports: ManagedExport[];
  }>();

const exportsOf = async (nodeId: string) =>
  (await api('GET', '/exports', admin)).json<ExportView[]>().filter((item) => item.nasNodeId === nodeId);

/** Waits until the agent serves the managed export (the control plane saw its tagged sync). */
async function applied(nodeId: string, id: string): Promise<ManagedExport> {
  let found: ManagedExport | undefined;
  await until(async () => {
    found = (await listManaged(nodeId)).exports.find((item) => item.id === id);
    return found?.exportId != null;
  }, 10_000);
  if (!found) throw new Error('not applied');
  return found;
}

async function mountCredential(token: string, exportId: string) {
  const response = await api('POST', '/mount-profiles/issue', token, { exportId });
  expect(response.statusCode).toBe(200);
  return response.json<{ mountUrl: string; credential: { username: string; password: string } }>();
}

const propfind = (url: string, credential: { username: string; password: string }) =>
  fetch(url, {
    method: 'PROPFIND',
    headers: {
      depth: '1',
      authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
    },
  });

describe('exports added from the UI', () => {
  let world: World;
  beforeAll(async () => {
    world = await startAgent('one');
  }, 60_000);

  it('lists the roots the agent reported, to admins only', async () => {
    const list = await listManaged(world.nodeId);
    expect(list).toEqual({ roots: [world.root], exports: [] });
    for (const [method, url, payload] of [
      ['GET', `/nodes/${world.nodeId}/managed-exports`, undefined],
      ['POST', `/nodes/${world.nodeId}/managed-exports`, { root: world.root, relativePath: 'x', label: 'X' }],
      ['PATCH', `/nodes/${world.nodeId}/managed-exports/mex_x`, { label: 'Y' }],
      ['DELETE', `/nodes/${world.nodeId}/managed-exports/mex_x`, undefined],
    ] as const) {
      expect((await api(method, url, mia.token, payload)).statusCode).toBe(403);
      const anonymous = await control.app.inject({
        method,
        url: `/api/v1${url}`,
        ...(payload ? { payload } : {}),
      });
      expect(anonymous.statusCode).toBe(401);
    }
    expect((await listManaged(world.nodeId)).exports).toEqual([]);
  });

  it('refuses a root the agent did not report, "..", an absolute or empty path, and a label in use', async () => {
    const add = (body: object) => api('POST', `/nodes/${world.nodeId}/managed-exports`, admin, body);
    const cases: [object, number, string][] = [
      [{ root: '/etc', relativePath: 'ssh', label: 'Etc' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: '../..', label: 'Up' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: 'a/../../b', label: 'Up' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: '/etc', label: 'Abs' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: 'a//b', label: 'Empty' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: 'a\\..\\b', label: 'Back' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: 'fine', label: '   ' }, 400, 'invalid_request'],
      [{ root: world.root, relativePath: 'fine', label: 'files ONE' }, 409, 'managed_export_conflict'],
    ];
    for (const [body, status, code] of cases) {
      const response = await add(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(response.json()).toMatchObject({ error: { code } });
    }
    expect(
      (
        await api('POST', '/nodes/node_nothing/managed-exports', admin, {
          root: world.root,
          relativePath: 'x',
          label: 'X',
        })
      ).statusCode,
    ).toBe(404);
    expect((await listManaged(world.nodeId)).exports).toEqual([]);
  });

  it('adds a folder the agent makes (0750) and serves over WebDAV; a rename keeps its id, grants and credentials; a removal ends them and keeps the files', async () => {
    const created = await api('POST', `/nodes/${world.nodeId}/managed-exports`, admin, {
      root: world.root,
      relativePath: 'Photos/2026',
      label: 'Photos',
    });
    expect(created.statusCode).toBe(201);
    const added = created.json<ManagedExport>();
    expect(added).toMatchObject({
      relativePath: 'Photos/2026',
      label: 'Photos',
      mountPath: '/dav/photos/',
      exportId: null,
    });
    // The same label again is taken.
    const again = await api('POST', `/nodes/${world.nodeId}/managed-exports`, admin, {
      root: world.root,
      relativePath: 'Other',
      label: 'photos',
    });
    expect(again.statusCode).toBe(409);

    const served = await applied(world.nodeId, added.id);
    const folder = join(world.root, 'Photos', '2026');
    expect(statSync(folder).mode & 0o777).toBe(0o750);
    writeFileSync(join(folder, 'beach.jpg'), 'sand');
    const exportId = served.exportId ?? '';
    const record = (await exportsOf(world.nodeId)).find((item) => item.id === exportId);
    expect(record).toMatchObject({
      label: 'Photos',
      mountPath: '/dav/photos/',
      tags: [`managed:${added.id}`],
    });

    expect(
      (await api('PUT', `/exports/${exportId}/grants/mia`, admin, { access: 'read-write' })).statusCode,
    ).toBe(200);
    const profile = await mountCredential(mia.token, exportId);
    const listing = await propfind(profile.mountUrl, profile.credential);
    expect(listing.status).toBe(207);
    expect(await listing.text()).toContain('beach.jpg');

    // Rename: same id, same mount path, the grant and the credential still work.
    const renamed = await api('PATCH', `/nodes/${world.nodeId}/managed-exports/${added.id}`, admin, {
      label: 'Pictures',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({
      id: added.id,
      label: 'Pictures',
      mountPath: '/dav/photos/',
      exportId,
    });
    await until(
      async () =>
        (await exportsOf(world.nodeId)).some((item) => item.id === exportId && item.label === 'Pictures'),
      10_000,
    );
    const grants = (await api('GET', `/exports/${exportId}/grants`, admin)).json<{
      grants: { userId: string }[];
    }>();
    expect(grants.grants.map((grant) => grant.userId)).toContain(mia.id);
    expect((await propfind(profile.mountUrl, profile.credential)).status).toBe(207);
    // The member sees it under its new name, without the folder's path on the node.
    const seen = (await api('GET', '/exports', mia.token)).json<(ExportView & { path?: string })[]>();
    expect(seen.find((item) => item.id === exportId)).toMatchObject({ label: 'Pictures' });
    expect(seen.find((item) => item.id === exportId)?.path).toBeUndefined();

    // Remove: the export goes, the credential is refused, the files stay.
    expect(
      (await api('DELETE', `/nodes/${world.nodeId}/managed-exports/${added.id}`, admin)).statusCode,
    ).toBe(204);
    expect(
      (await api('DELETE', `/nodes/${world.nodeId}/managed-exports/${added.id}`, admin)).statusCode,
    ).toBe(404);
    await until(async () => !(await exportsOf(world.nodeId)).some((item) => item.id === exportId), 10_000);
    await until(async () => (await propfind(profile.mountUrl, profile.credential)).status !== 207, 10_000);
    expect([401, 404]).toContain((await propfind(profile.mountUrl, profile.credential)).status);
    expect(existsSync(join(folder, 'beach.jpg'))).toBe(true);
  });

  it('is refused by the agent when a symlink on the way leads out of the root (nothing made outside)', async () => {
    const outside = tempDir('homeport-managed-outside-');
    symlinkSync(outside, join(world.root, 'escape'));
    const created = await api('POST', `/nodes/${world.nodeId}/managed-exports`, admin, {
      root: world.root,
      relativePath: 'escape/inner',
      label: 'Escape',
    });
    // The control plane cannot see the node's disk: the agent decides.
    expect(created.statusCode).toBe(201);
    const { id } = created.json<ManagedExport>();
    await until(
      () =>
        world.logs.some(
          (line) =>
            line.managedExportId === id && line.msg === 'refused an export the control plane asked for',
        ),
      10_000,
    );
    expect(existsSync(join(outside, 'inner'))).toBe(false);
    expect((await listManaged(world.nodeId)).exports.find((item) => item.id === id)?.exportId).toBeNull();
    expect((await exportsOf(world.nodeId)).some((item) => item.label === 'Escape')).toBe(false);
    expect((await api('DELETE', `/nodes/${world.nodeId}/managed-exports/${id}`, admin)).statusCode).toBe(204);
  });

  it('answers 409 for a betterNAS agent’s node and for an agent without roots', async () => {
    const register = (machineId: string, homeport: boolean) =>
      control.app.inject({
        method: 'POST',
        url: '/api/v1/nodes/register',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, ...(homeport ? { 'x-homeport-agent': '2' } : {}) },
        payload: {
          machineId,
          displayName: machineId,
          agentVersion: 't',
          directAddress: 'http://127.0.0.1:1',
          relayAddress: null,
        },
      });
    const betternas = (await register('machine-betternas', false)).json<{ id: string }>().id;
    const listed = await api('GET', `/nodes/${betternas}/managed-exports`, admin);
    expect(listed.statusCode).toBe(409);
    expect(listed.json()).toMatchObject({ error: { code: 'agent_unsupported' } });
    const rootless = (await register('machine-rootless', true)).json<{ id: string }>().id;
    const added = await api('POST', `/nodes/${rootless}/managed-exports`, admin, {
      root: '/srv',
      relativePath: 'x',
      label: 'X',
    });
    expect(added.statusCode).toBe(409);
    expect(added.json()).toMatchObject({ error: { code: 'export_roots_unset' } });
  });
});

describe('exports added from the UI, with two WebDAV workers', () => {
  it('serves a new export from every worker and stops serving a removed one', async () => {
    const world = await startAgent('workers', { HOMEPORT_DAV_WORKERS: '2' });
    const created = await api('POST', `/nodes/${world.nodeId}/managed-exports`, admin, {
      root: world.root,
      relativePath: 'Music',
      label: 'Music',
    });
    const added = created.json<ManagedExport>();
    const { exportId } = await applied(world.nodeId, added.id);
    writeFileSync(join(world.root, 'Music', 'song.flac'), 'la');
    const profile = await mountCredential(admin, exportId ?? '');
    // Round-robin over the workers: several requests in a row reach both. The control plane learns the export's
    // id from the sync a moment before every worker has the new id map, so the first round may be early.
    await until(async () => {
      for (let i = 0; i < 6; i += 1) {
        const response = await propfind(profile.mountUrl, profile.credential);
        if (response.status !== 207 || !(await response.text()).includes('song.flac')) return false;
      }
      return true;
    }, 10_000);
    expect(
      (await api('DELETE', `/nodes/${world.nodeId}/managed-exports/${added.id}`, admin)).statusCode,
    ).toBe(204);
    await until(async () => !(await exportsOf(world.nodeId)).some((item) => item.id === exportId), 10_000);
    for (let i = 0; i < 6; i += 1)
      expect([401, 404]).toContain((await propfind(profile.mountUrl, profile.credential)).status);
  }, 60_000);
});

describe('the agent’s own checks', () => {
  it('refuses a root that is relative, missing, a file, or holds its state or data dir', () => {
    const dir = realpathSync(tempDir('homeport-managed-roots-'));
    writeFileSync(join(dir, 'file'), '');
    mkdirSync(join(dir, 'data', 'agent'), { recursive: true });
    expect(() => resolveExportRoots(['relative/path'])).toThrow(/not an absolute path/);
    expect(() => resolveExportRoots([join(dir, 'missing')])).toThrow(/does not exist/);
    expect(() => resolveExportRoots([join(dir, 'file')])).toThrow(/not a folder/);
    expect(() => resolveExportRoots([dir], [join(dir, 'data', 'agent')])).toThrow(/own state/);
    expect(() => resolveExportRoots([join(dir, 'data')], [join(dir, 'data')])).toThrow(/own state/);
    mkdirSync(join(dir, 'nas'));
    expect(resolveExportRoots([join(dir, 'nas')], [join(dir, 'data')])).toEqual([join(dir, 'nas')]);
  });

  it('never exports its own state dir, a folder holding it, or a file', () => {
    const root = realpathSync(tempDir('homeport-managed-private-'));
    mkdirSync(join(root, 'state', 'inner'), { recursive: true });
    writeFileSync(join(root, 'file.txt'), '');
    const options = { roots: [root], private: [join(root, 'state')] };
    for (const relativePath of ['state', 'state/inner', 'file.txt', 'file.txt/x', '..', 'a/./b'])
      expect(() => prepareManagedFolder({ root, relativePath }, options), relativePath).toThrow(
        ManagedFolderRefused,
      );
    expect(() => prepareManagedFolder({ root: '/etc', relativePath: 'ssh' }, options)).toThrow(/not one of/);
    expect(prepareManagedFolder({ root, relativePath: 'fine/deep' }, options)).toBe(
      join(root, 'fine', 'deep'),
    );
  });
});

describe('exports added from the UI, after a restart', () => {
  it('are served from the saved list while the control plane is unreachable', async () => {
    const other = await buildNasHomeport({
      env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
    });
    const url = await other.homeport.listen();
    const token = await other.login();
    const dir = tempDir('homeport-managed-restart-');
    const root = join(dir, 'nas');
    mkdirSync(join(dir, 'files'), { recursive: true });
    mkdirSync(root);
    const makeAgent = () =>
      agentFromConfig({
        config: new Config({
          env: {
            HOMEPORT_CONTROL_PLANE_URL: url,
            HOMEPORT_EXPORTS: `${join(dir, 'files')}:Files`,
            HOMEPORT_EXPORT_ROOTS: root,
            HOMEPORT_AGENT_STATE_DIR: join(dir, 'agent'),
            HOMEPORT_AGENT_LISTEN: '127.0.0.1:0',
            HOMEPORT_HEARTBEAT_INTERVAL: '100ms',
          },
        }),
        log: createLogger({ level: 'silent' }),
        version: 'test',
        bootstrapToken: BOOTSTRAP,
      });
    const first = makeAgent();
    agents.push(first);
    const firstBase = await first.start();
    const nodeId = await first.registered();
    const added = await other.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${nodeId}/managed-exports`,
      headers: bearer(token),
      payload: { root: realpathSync(root), relativePath: 'Docs', label: 'Docs' },
    });
    const { id } = added.json<ManagedExport>();
    let exportId: string | null = null;
    await until(async () => {
      const list = await other.app.inject({
        url: `/api/v1/nodes/${nodeId}/managed-exports`,
        headers: bearer(token),
      });
      exportId =
        list.json<{ exports: ManagedExport[] }>().exports.find((item) => item.id === id)?.exportId ?? null;
      return exportId !== null;
    }, 10_000);
    const issued = await other.app.inject({
      method: 'POST',
      url: '/api/v1/mount-profiles/issue',
      headers: bearer(token),
      payload: { exportId },
    });
    const profile = issued.json<{ mountUrl: string; credential: { username: string; password: string } }>();
    // The first agent serves it (keys and export ids applied, so saved) before the control plane goes away.
    const served = new URL(profile.mountUrl).pathname;
    await until(
      async () => (await propfind(`${firstBase}${served}`, profile.credential)).status === 207,
      10_000,
    );
    await first.close();
    await other.close();

    const second = makeAgent();
    agents.push(second);
    const base = await second.start();
    const path = new URL(profile.mountUrl).pathname;
    expect(path).toBe('/dav/docs/');
    const response = await propfind(`${base}${path}`, profile.credential);
    expect(response.status).toBe(207);
  }, 60_000);
});
