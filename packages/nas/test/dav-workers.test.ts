// The agent with HOMEPORT_DAV_WORKERS=2, from the sources: a real control plane on a loopback port, the agent
// in this process as the cluster primary, two real worker processes (dav-worker.ts through tsx) sharing its
// port. Which worker serves a connection is read from the kernel (/proc), so the state tests below know they
// crossed from one worker to the other: locks, dead properties, revocations, a killed worker, the stop.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { removeTempDirs, runLitmus, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../src/agent/dav/request-path.js';
import { agentFromConfig } from '../src/agent/embedded.js';
import { connectionOwners, type HeldConnection, holdConnection } from './support/dav-connections.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-worker-tests-0123';

interface MountProfile {
  exportId: string;
  mountUrl: string;
  credential: { username: string; password: string };
}

let control: TestHomeport;
let agent: ReturnType<typeof agentFromConfig>;
let davUrl: string;
let admin: string;
let files: string;
const agentLogs: Record<string, unknown>[] = [];
const opened: HeldConnection[] = [];

/** Log lines of the agent process (workers' lines come through it) with this message. */
const logged = (msg: string) => agentLogs.filter((line) => line.msg === msg);

/** Pids of the workers serving now: those that logged 'listening' and have not been reported dead. */
function workerPids(): number[] {
  const dead = new Set(logged('webdav worker exited; restarting it').map((line) => line.workerPid));
  return [...new Set(logged('webdav worker listening').map((line) => line.workerPid as number))].filter(
    (pid) => !dead.has(pid),
  );
}

const basicOf = (profile: MountProfile) =>
  `Basic ${Buffer.from(`${profile.credential.username}:${profile.credential.password}`).toString('base64')}`;

async function issueMount(): Promise<MountProfile> {
  const exports = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
  const files = exports.json<{ id: string; label: string }[]>().find((item) => item.label === 'Files');
  if (!files) throw new Error('the agent has not reported its export');
  const issued = await control.app.inject({
    method: 'POST',
    url: '/api/v1/mount-profiles/issue',
    headers: bearer(admin),
    payload: { exportId: files.id },
  });
  expect(issued.statusCode, issued.body).toBe(200);
  return issued.json<MountProfile>();
}

/**
 * Opens `count` connections, sends one authenticated request on each, and returns them with the worker
 * serving each (read from /proc once both ends are established).
 */
async function connectionsByWorker(
  profile: MountProfile,
  count: number,
): Promise<{ connection: HeldConnection; pid: number }[]> {
  const connections = Array.from({ length: count }, () => holdConnection());
  opened.push(...connections);
  for (const connection of connections) {
    const answer = await connection.request('OPTIONS', profile.mountUrl, {
      authorization: basicOf(profile),
    });
    expect(answer.status).toBe(200);
  }
  const port = Number(new URL(davUrl).port);
  const owners = await until(() => {
    const found = connectionOwners(
      port,
      connections.map((connection) => connection.localPort()),
      workerPids(),
    );
    return found.every((pid) => pid !== undefined) ? found : undefined;
  });
  return connections.map((connection, index) => ({ connection, pid: owners[index] as number }));
}

/** Two held connections served by two different workers. */
async function twoWorkers(profile: MountProfile): Promise<[HeldConnection, HeldConnection]> {
  const held = await connectionsByWorker(profile, 4);
  const first = held[0];
  const other = held.find((entry) => entry.pid !== first?.pid);
  if (!first || !other) throw new Error(`all connections on one worker: ${held.map((entry) => entry.pid)}`);
  return [first.connection, other.connection];
}

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  const controlUrl = await control.homeport.listen();
  admin = await control.login();
  files = join(tempDir('homeport-workers-'), 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'small.txt'), 'four KiB stand-in\n');
  agent = agentFromConfig({
    config: new Config({
      env: {
        HOMEPORT_CONTROL_PLANE_URL: controlUrl,
        HOMEPORT_EXPORTS: `${files}:Files`,
        HOMEPORT_AGENT_STATE_DIR: join(files, '..', 'agent'),
        HOMEPORT_AGENT_LISTEN: '127.0.0.1:0',
        HOMEPORT_HEARTBEAT_INTERVAL: '200ms',
        HOMEPORT_DAV_WORKERS: '2',
      },
    }),
    log: createLogger({
      level: 'info',
      destination: { write: (line: string) => agentLogs.push(JSON.parse(line) as Record<string, unknown>) },
    }),
    version: 'test',
    bootstrapToken: BOOTSTRAP,
  });
  davUrl = await agent.start();
  await agent.registered();
}, 60_000);

afterAll(async () => {
  for (const connection of opened) connection.close();
  await agent?.close();
  await control?.close();
  removeTempDirs();
});

describe('WebDAV workers', () => {
  it('serves connections from both workers', async () => {
    expect(workerPids()).toHaveLength(2);
    const held = await connectionsByWorker(await issueMount(), 8);
    const pids = new Set(held.map((entry) => entry.pid));
    expect([...pids].sort()).toEqual(workerPids().sort());
    // Round-robin: the eight connections are spread evenly.
    for (const pid of pids) expect(held.filter((entry) => entry.pid === pid)).toHaveLength(4);
  });

  it('refuses on one worker a PUT without the token of a LOCK taken through the other', async () => {
    const profile = await issueMount();
    const [first, second] = await twoWorkers(profile);
    const auth = { authorization: basicOf(profile) };
    const url = `${profile.mountUrl}locked.txt`;
    expect((await first.request('PUT', url, auth, 'v1')).status).toBe(201);
    const lock = await first.request(
      'LOCK',
      url,
      { ...auth, 'content-type': 'application/xml' },
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
    );
    expect(lock.status).toBe(200);
    const token = String(lock.headers['lock-token']);
    expect(token).toMatch(/^<urn:uuid:/);
    expect((await second.request('PUT', url, auth, 'v2')).status).toBe(423);
    expect((await second.request('PUT', url, { ...auth, if: `(${token})` }, 'v2')).status).toBe(204);
    expect((await second.request('UNLOCK', url, { ...auth, 'lock-token': token })).status).toBe(204);
    expect((await first.request('PUT', url, auth, 'v3')).status).toBe(204);
  });

  it('shows a dead property set through one worker to PROPFIND through the other', async () => {
    const profile = await issueMount();
    const [first, second] = await twoWorkers(profile);
    const auth = { authorization: basicOf(profile), 'content-type': 'application/xml' };
    const url = `${profile.mountUrl}small.txt`;
    const patched = await first.request(
      'PROPPATCH',
      url,
      auth,
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:test:"><D:set><D:prop><Z:colour>teal</Z:colour></D:prop></D:set></D:propertyupdate>',
    );
    expect(patched.status).toBe(207);
    const found = await second.request(
      'PROPFIND',
      url,
      { ...auth, depth: '0' },
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:test:"><D:prop><Z:colour/></D:prop></D:propfind>',
    );
    expect(found.status).toBe(207);
    expect(found.body).toMatch(/<[^>]*colour[^>]*>teal</);
  });

  it('refuses a revoked credential on every worker once the agent reports the revocation applied', async () => {
    const profile = await issueMount();
    const [first, second] = await twoWorkers(profile);
    const auth = { authorization: basicOf(profile) };
    expect((await first.request('GET', `${profile.mountUrl}small.txt`, auth)).status).toBe(200);
    expect((await second.request('GET', `${profile.mountUrl}small.txt`, auth)).status).toBe(200);
    const before = logged('revocations updated').length;
    const revoked = await control.app.inject({
      method: 'POST',
      url: '/api/v1/mount-credentials/revoke',
      headers: bearer(admin),
      payload: { exportId: profile.exportId },
    });
    expect(revoked.statusCode).toBe(200);
    // The agent logs this only after every worker confirmed the new list: no polling on the workers.
    await until(() => logged('revocations updated').length > before);
    expect((await first.request('GET', `${profile.mountUrl}small.txt`, auth)).status).toBe(401);
    expect((await second.request('GET', `${profile.mountUrl}small.txt`, auth)).status).toBe(401);
  });

  it('replaces a worker killed with SIGKILL and keeps serving the port meanwhile', async () => {
    const profile = await issueMount();
    const [victim, survivor] = workerPids();
    if (victim === undefined || survivor === undefined) throw new Error('two workers expected');
    process.kill(victim, 'SIGKILL');
    await until(() =>
      logged('webdav worker exited; restarting it').some((line) => line.workerPid === victim),
    );
    // The port is the survivor's alone until the replacement listens: new connections all reach it.
    for (let i = 0; i < 4; i += 1) {
      const connection = holdConnection();
      opened.push(connection);
      const answer = await connection.request('GET', `${profile.mountUrl}small.txt`, {
        authorization: basicOf(profile),
      });
      expect(answer.status).toBe(200);
    }
    const replacement = await until(() => workerPids().find((pid) => pid !== survivor), 15_000);
    expect(replacement).not.toBe(victim);
    const held = await connectionsByWorker(profile, 4);
    expect(new Set(held.map((entry) => entry.pid))).toEqual(new Set([survivor, replacement]));
  });

  it("keeps one worker's upload in progress when the other worker is replaced", async () => {
    const profile = await issueMount();
    const held = await connectionsByWorker(profile, 4);
    const [uploader] = held;
    if (uploader === undefined) throw new Error('no connection');
    const other = workerPids().find((pid) => pid !== uploader.pid);
    if (other === undefined) throw new Error('two workers expected');
    const upload = uploader.connection.upload(`${profile.mountUrl}slow.txt`, {
      authorization: basicOf(profile),
    });
    upload.write('first half, ');
    // The temp file is listed in the shared state before its first byte is written.
    await until(() => readdirSync(files).some((name) => name.startsWith(TEMP_PREFIX)));
    const restarts = logged('webdav worker listening').length;
    process.kill(other, 'SIGKILL');
    // A replacement that swept leftover uploads at start would delete the temp file under the upload.
    await until(() => logged('webdav worker listening').length > restarts, 15_000);
    expect((await upload.end('second half')).status).toBe(201);
    expect(readFileSync(join(files, 'slow.txt'), 'utf8')).toBe('first half, second half');
  });

  it('passes litmus through both workers (every group, no failure, no warning)', async () => {
    const profile = await issueMount();
    const result = await runLitmus(profile.mountUrl, {
      user: profile.credential.username,
      password: profile.credential.password,
    });
    console.log(`litmus against the 2-worker agent\n${result.summaryText}`);
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
  }, 120_000);

  it('stops every worker when the agent closes', async () => {
    const pids = workerPids();
    expect(pids).toHaveLength(2);
    await agent.close();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
  });
});
