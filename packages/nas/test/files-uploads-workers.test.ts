// Resumable uploads with HOMEPORT_DAV_WORKERS=2, from the sources: a real control plane, the agent in this
// process as the cluster primary and two real worker processes sharing its port. Which worker serves a
// connection is read from the kernel (/proc), so the tests know one upload's requests crossed workers: a PATCH
// on each, a PATCH refused on one while the other writes, a worker killed mid-PATCH and the upload finished
// through the other; and the agent process sweeps abandoned parts at start.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFromConfig } from '../src/agent/embedded.js';
import { connectionOwners } from './support/dav-connections.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-upload-worker-tests';
const PATCH_TYPE = 'application/offset+octet-stream';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One keep-alive connection, reused for every request, with binary bodies. */
interface Connection {
  send(method: string, url: string, headers?: Record<string, string>, body?: Buffer): Promise<Answer>;
  /** A request whose body is sent now in part; `end` sends the rest. */
  open(
    method: string,
    url: string,
    headers: Record<string, string>,
    first: Buffer,
  ): { end(rest: Buffer): Promise<Answer> };
  localPort(): number;
  close(): void;
}

function connect(): Connection {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let port = 0;
  const start = (method: string, url: string, headers: Record<string, string>) => {
    const request = http.request(url, { method, headers, agent });
    const answer = new Promise<Answer>((resolve, reject) => {
      request.on('response', (response) => {
        port = response.socket.localPort ?? 0;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', reject);
      });
      request.on('error', reject);
    });
    return { request, answer };
  };
  return {
    send(method, url, headers = {}, body) {
      const sent = start(method, url, headers);
      sent.request.end(body);
      return sent.answer;
    },
    open(method, url, headers, first) {
      const sent = start(method, url, headers);
      sent.answer.catch(() => undefined); // a test may cut it; the failure to report is elsewhere
      sent.request.write(first);
      return {
        end(rest) {
          sent.request.end(rest);
          return sent.answer;
        },
      };
    },
    localPort: () => port,
    close: () => agent.destroy(),
  };
}

let control: TestHomeport;
let agent: ReturnType<typeof agentFromConfig>;
let davUrl: string;
let admin: string;
let files: string;
let stateDir: string;
let authorization: string;
let mountUrl: string;
const agentLogs: Record<string, unknown>[] = [];
const opened: Connection[] = [];
const ABANDONED = 'AAAAAAAAAAAAAAAAAAAAAA';
const LOCK_BODY =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';

const logged = (msg: string) => agentLogs.filter((line) => line.msg === msg);
function workerPids(): number[] {
  const dead = new Set(logged('webdav worker exited; restarting it').map((line) => line.workerPid));
  return [...new Set(logged('webdav worker listening').map((line) => line.workerPid as number))].filter(
    (pid) => !dead.has(pid),
  );
}

/** Two connections served by two different workers, with the pid of each. */
async function twoWorkers(): Promise<
  [{ connection: Connection; pid: number }, { connection: Connection; pid: number }]
> {
  const connections = Array.from({ length: 6 }, () => connect());
  opened.push(...connections);
  for (const connection of connections) {
    expect((await connection.send('OPTIONS', mountUrl, { authorization })).status).toBe(200);
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
  const first = { connection: connections[0] as Connection, pid: owners[0] as number };
  const index = owners.findIndex((pid) => pid !== first.pid);
  if (index === -1) throw new Error(`all connections on one worker: ${owners}`);
  return [first, { connection: connections[index] as Connection, pid: owners[index] as number }];
}

const lockFiles = () => {
  const base = join(stateDir, 'files');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((key) => {
    const folder = join(base, key, 'uploads');
    return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.lock')) : [];
  });
};

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  const controlUrl = await control.homeport.listen();
  admin = await control.login();
  const work = tempDir('homeport-upload-workers-');
  files = join(work, 'files');
  stateDir = join(work, 'agent');
  mkdirSync(files);
  // An upload abandoned two days ago, in an export's files state: the agent process sweeps it at start.
  const abandoned = join(stateDir, 'files', 'an-export-key', 'uploads');
  mkdirSync(abandoned, { recursive: true });
  const old = new Date(Date.now() - 48 * 3600 * 1000);
  for (const name of [`${ABANDONED}.part`, `${ABANDONED}.json`]) {
    writeFileSync(join(abandoned, name), name.endsWith('.json') ? '{}' : 'partial bytes');
    utimesSync(join(abandoned, name), old, old);
  }
  agent = agentFromConfig({
    config: new Config({
      env: {
        HOMEPORT_CONTROL_PLANE_URL: controlUrl,
        HOMEPORT_EXPORTS: `${files}:Files`,
        HOMEPORT_AGENT_STATE_DIR: stateDir,
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
  const exports = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
  const item = exports.json<{ id: string; label: string }[]>().find((entry) => entry.label === 'Files');
  if (!item) throw new Error('the agent has not reported its export');
  const issued = await control.app.inject({
    method: 'POST',
    url: '/api/v1/mount-profiles/issue',
    headers: bearer(admin),
    payload: { exportId: item.id },
  });
  expect(issued.statusCode, issued.body).toBe(200);
  const profile = issued.json<{ mountUrl: string; credential: { username: string; password: string } }>();
  mountUrl = profile.mountUrl;
  authorization = `Basic ${Buffer.from(`${profile.credential.username}:${profile.credential.password}`).toString('base64')}`;
}, 60_000);

afterAll(async () => {
  for (const connection of opened) connection.close();
  await agent?.close();
  await control?.close();
  removeTempDirs();
});

const startUpload = async (connection: Connection, name: string, length: number) => {
  const started = await connection.send('POST', `${mountUrl}?upload`, {
    authorization,
    'upload-length': String(length),
    'x-file-name': encodeURIComponent(name),
  });
  expect(started.status, started.body).toBe(201);
  return new URL(String(started.headers.location), davUrl).toString();
};
const patchHeaders = (offset: number) => ({
  authorization,
  'content-type': PATCH_TYPE,
  'upload-offset': String(offset),
});

describe('resumable uploads with two WebDAV workers', () => {
  it('the agent process swept the abandoned upload at start', async () => {
    const folder = join(stateDir, 'files', 'an-export-key', 'uploads');
    await until(() => readdirSync(folder).length === 0);
    expect(logged('abandoned resumable uploads deleted')).toHaveLength(1);
  });

  it('takes the PATCHes of one upload on either worker', async () => {
    const [a, b] = await twoWorkers();
    const data = randomBytes(6 * 1024 * 1024 + 1);
    const url = await startUpload(a.connection, 'crossed.bin', data.length);
    const third = 2 * 1024 * 1024;
    expect((await b.connection.send('PATCH', url, patchHeaders(0), data.subarray(0, third))).status).toBe(
      204,
    );
    const head = await a.connection.send('HEAD', url, { authorization });
    expect(head.headers['upload-offset']).toBe(String(third));
    expect(
      (await a.connection.send('PATCH', url, patchHeaders(third), data.subarray(third, 2 * third))).status,
    ).toBe(204);
    const last = await b.connection.send('PATCH', url, patchHeaders(2 * third), data.subarray(2 * third));
    expect(last.status).toBe(201);
    expect(sha256(readFileSync(join(files, 'crossed.bin')))).toBe(sha256(data));
  });

  it('refuses on one worker a PATCH of an upload the other worker is writing', async () => {
    const [a, b] = await twoWorkers();
    const data = randomBytes(1024 * 1024);
    const url = await startUpload(a.connection, 'contended.bin', data.length);
    const held = a.connection.open(
      'PATCH',
      url,
      { ...patchHeaders(0), 'content-length': String(data.length) },
      data.subarray(0, 1000),
    );
    await until(() => lockFiles().length === 1);
    const second = await b.connection.send('PATCH', url, patchHeaders(0), data);
    expect(second.status).toBe(409);
    expect((await held.end(data.subarray(1000))).status).toBe(201);
    expect(sha256(readFileSync(join(files, 'contended.bin')))).toBe(sha256(data));
    expect(lockFiles()).toEqual([]);
  });

  it("respects a WebDAV client's lock taken through the other worker, as PUT does", async () => {
    const [a, b] = await twoWorkers();
    const url = `${mountUrl}locked.txt`;
    expect((await a.connection.send('PUT', url, { authorization }, Buffer.from('v1'))).status).toBe(201);
    // An upload started before the lock is kept when refused at its end, and finishes once the lock is gone.
    const upload = await startUpload(b.connection, 'locked.txt', 2);
    const lock = await a.connection.send(
      'LOCK',
      url,
      { authorization, 'content-type': 'application/xml' },
      Buffer.from(LOCK_BODY),
    );
    expect(lock.status).toBe(200);
    const token = String(lock.headers['lock-token']);
    expect((await b.connection.send('PATCH', upload, patchHeaders(0), Buffer.from('v2'))).status).toBe(423);
    expect(readFileSync(join(files, 'locked.txt'), 'utf8')).toBe('v1');
    const refused = await b.connection.send('POST', `${mountUrl}?upload`, {
      authorization,
      'upload-length': '2',
      'x-file-name': 'locked.txt',
    });
    expect(refused.status).toBe(423);
    expect((await a.connection.send('UNLOCK', url, { authorization, 'lock-token': token })).status).toBe(204);
    expect((await b.connection.send('PATCH', upload, patchHeaders(2), Buffer.alloc(0))).status).toBe(201);
    expect(readFileSync(join(files, 'locked.txt'), 'utf8')).toBe('v2');

    // A folder locked with depth infinity takes no new file either.
    expect((await a.connection.send('MKCOL', `${mountUrl}Shut/`, { authorization })).status).toBe(201);
    const folderLock = await a.connection.send(
      'LOCK',
      `${mountUrl}Shut/`,
      { authorization, 'content-type': 'application/xml', depth: 'infinity' },
      Buffer.from(LOCK_BODY),
    );
    expect(folderLock.status).toBe(200);
    const inside = await b.connection.send('POST', `${mountUrl}Shut/?upload`, {
      authorization,
      'upload-length': '1',
      'x-file-name': 'new.txt',
    });
    expect(inside.status).toBe(423);
    await a.connection.send('UNLOCK', `${mountUrl}Shut/`, {
      authorization,
      'lock-token': String(folderLock.headers['lock-token']),
    });
  });

  it('finishes through one worker an upload whose PATCH died with the other worker', async () => {
    const [a, b] = await twoWorkers();
    const data = randomBytes(4 * 1024 * 1024);
    const url = await startUpload(b.connection, 'survivor.bin', data.length);
    a.connection.open(
      'PATCH',
      url,
      { ...patchHeaders(0), 'content-length': String(data.length) },
      data.subarray(0, 2 * 1024 * 1024),
    );
    await until(() => lockFiles().length === 1);
    // The worker dies mid-PATCH (its lock stays behind, naming a pid that is gone).
    process.kill(a.pid, 'SIGKILL');
    const offset = await until(async () => {
      const head = await b.connection.send('HEAD', url, { authorization });
      const at = Number(head.headers['upload-offset']);
      const probe = await b.connection.send('PATCH', url, patchHeaders(at), Buffer.alloc(0));
      return probe.status === 204 ? at : undefined;
    });
    const rest = await b.connection.send('PATCH', url, patchHeaders(offset), data.subarray(offset));
    expect(rest.status).toBe(201);
    expect(sha256(readFileSync(join(files, 'survivor.bin')))).toBe(sha256(data));
    // The pool replaced the killed worker.
    await until(() => workerPids().length === 2);
  });
});
