// `homeport agent` from the built bundle with HOMEPORT_DAV_WORKERS=2 (dist/dav-worker.js), against a control
// plane in this process: SIGTERM lets an upload in flight finish and stops every worker; SIGKILL of the agent
// leaves no worker behind (they leave when the cluster's IPC pipe closes).

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type AgentInstance, removeTempDirs, startAgent, tempDir, until } from '@homeport/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../src/agent/dav/request-path.js';
import { holdConnection } from './support/dav-connections.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-worker-process-tests';

let control: TestHomeport;
let controlUrl: string;
let admin: string;
const agents: AgentInstance[] = [];

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  controlUrl = await control.homeport.listen();
  admin = await control.login();
}, 60_000);

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.process.stop('SIGKILL');
});

afterAll(async () => {
  await control?.close();
  removeTempDirs();
});

/** The agent's worker pids, from its own JSON log lines on stdout. */
function workerPids(agent: AgentInstance): number[] {
  const pids = new Set<number>();
  for (const line of agent.process.stdout().split('\n')) {
    if (!line.includes('"webdav worker listening"')) continue;
    const parsed = JSON.parse(line) as { workerPid?: number };
    if (parsed.workerPid !== undefined) pids.add(parsed.workerPid);
  }
  return [...pids];
}

/** Whether `pid` still runs (a zombie waiting for its reaper has stopped running: it counts as gone). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) S …": the state follows the command name, which may itself hold spaces and parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Whether a new TCP connection to `port` on loopback is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startTwoWorkerAgent(): Promise<{ agent: AgentInstance; folder: string; pids: number[] }> {
  const folder = join(tempDir('homeport-workers-process-'), 'files');
  mkdirSync(folder);
  const agent = await startAgent({
    controlPlaneUrl: controlUrl,
    bootstrapToken: BOOTSTRAP,
    exports: [`${folder}:Files`],
    env: { HOMEPORT_DAV_WORKERS: '2', HOMEPORT_LOG_LEVEL: 'info' },
  });
  agents.push(agent);
  const pids = await until(() => {
    const found = workerPids(agent);
    return found.length === 2 ? found : undefined;
  });
  return { agent, folder, pids };
}

async function issueMount(): Promise<{ url: string; authorization: string }> {
  const exports = await until(async () => {
    const answer = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
    return answer
      .json<{ id: string; label: string; path?: string }[]>()
      .find((item) => item.label === 'Files');
  });
  const issued = await control.app.inject({
    method: 'POST',
    url: '/api/v1/mount-profiles/issue',
    headers: bearer(admin),
    payload: { exportId: exports.id },
  });
  expect(issued.statusCode, issued.body).toBe(200);
  const profile = issued.json<{ mountUrl: string; credential: { username: string; password: string } }>();
  const { username, password } = profile.credential;
  return {
    url: profile.mountUrl,
    authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
  };
}

describe('WebDAV workers of the bundled agent', () => {
  it('finishes an upload in flight on SIGTERM, then stops every worker', async () => {
    const { agent, folder, pids } = await startTwoWorkerAgent();
    const mount = await issueMount();
    const connection = holdConnection();
    const upload = connection.upload(`${mount.url}in-flight.txt`, { authorization: mount.authorization });
    upload.write('sent before SIGTERM, ');
    await until(() => readdirSync(folder).some((name) => name.startsWith(TEMP_PREFIX)));
    process.kill(agent.process.pid, 'SIGTERM');
    // Every worker has closed its listener (the port refuses new connections) while the upload is in flight…
    await until(async () => !(await accepts(agent.port)));
    expect(alive(agent.process.pid)).toBe(true);
    expect(pids.filter(alive).length).toBeGreaterThanOrEqual(1);
    // …and still serves what it holds: the rest of the body lands.
    const answer = await upload.end('and after it');
    expect(answer.status).toBe(201);
    expect(readFileSync(join(folder, 'in-flight.txt'), 'utf8')).toBe('sent before SIGTERM, and after it');
    // The client keeps its connection: the worker closes it once idle instead of waiting out keep-alive
    // (30 s) until the stop bound kills it.
    const status = await agent.process.exited;
    connection.close();
    expect(status.code).toBe(0);
    expect(agent.process.stdout()).not.toContain('still busy at the stop bound');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('keeps Homeport variables out of the workers, and leaves no worker behind when the agent is killed with SIGKILL', async () => {
    const { agent, pids } = await startTwoWorkerAgent();
    expect(pids.filter(alive)).toHaveLength(2);
    // Homeport's variables stay with the agent process: the bootstrap token is not in a worker's environment.
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ(agent.process.pid)).toContain(`HOMEPORT_NODE_BOOTSTRAP_TOKEN=${BOOTSTRAP}`);
    for (const pid of pids)
      expect(environ(pid).filter((entry) => entry.startsWith('HOMEPORT_NODE_BOOTSTRAP_TOKEN'))).toEqual([]);
    process.kill(agent.process.pid, 'SIGKILL');
    await agent.process.exited;
    await until(() => pids.filter(alive).length === 0);
  });
});
