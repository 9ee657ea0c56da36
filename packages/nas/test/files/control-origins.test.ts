// The origins the agent allows CORS for come from the control plane: its public URL's origin (or, without
// one, its own listen origin) in the x-homeport-allowed-origins header of the sync and heartbeat answers,
// kept in the agent state and handed to every WebDAV worker. Real control planes on loopback ports, the
// agent from the sources in process and with two worker processes.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { freePort, removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { agentFromConfig } from '../../src/agent/embedded.js';
import { send } from '../dav/dav-server.js';
import { bearer, buildNasHomeport } from '../support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-origin-tests-0123';
const PUBLIC_ORIGIN = 'https://home.example.org';

const stops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  removeTempDirs();
});

async function startPair(options: { publicUrl?: string; workers: number }) {
  const control = await buildNasHomeport({
    env: {
      HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      HOMEPORT_PORT: '0',
      HOMEPORT_BIND: '127.0.0.1',
      ...(options.publicUrl ? { HOMEPORT_PUBLIC_URL: options.publicUrl } : {}),
    },
  });
  stops.push(() => control.close());
  const controlUrl = await control.homeport.listen();
  const files = join(tempDir('homeport-origins-'), 'files');
  mkdirSync(files);
  const agent = agentFromConfig({
    config: new Config({
      env: {
        HOMEPORT_CONTROL_PLANE_URL: controlUrl,
        HOMEPORT_EXPORTS: `${files}:Files`,
        HOMEPORT_AGENT_STATE_DIR: join(files, '..', 'agent'),
        // A port of its own: cluster workers of two agents in one process asking for port 0 would share one.
        HOMEPORT_AGENT_LISTEN: `127.0.0.1:${await freePort()}`,
        HOMEPORT_HEARTBEAT_INTERVAL: '200ms',
        HOMEPORT_DAV_WORKERS: String(options.workers),
      },
    }),
    log: createLogger({ level: 'silent' }),
    version: 'test',
    bootstrapToken: BOOTSTRAP,
  });
  stops.push(() => agent.close());
  const davUrl = await agent.start();
  await agent.registered();
  return { control, controlUrl, port: Number(new URL(davUrl).port) };
}

/** A preflight on a fresh connection (so, with workers, any of them may answer). */
const preflight = (port: number, origin: string) =>
  send({ port }, 'OPTIONS', '/dav/files/', {
    origin,
    'access-control-request-method': 'GET',
    connection: 'close',
  });

describe('allowed origins from the control plane', () => {
  it("allows the public URL's origin in every worker, and no other", async () => {
    const { port } = await startPair({ publicUrl: `${PUBLIC_ORIGIN}/`, workers: 2 });
    // Registered means synced: every worker has been told (apply waits for each worker's acknowledgement).
    for (let i = 0; i < 8; i += 1) {
      const response = await preflight(port, PUBLIC_ORIGIN);
      expect(response.headers['access-control-allow-origin']).toBe(PUBLIC_ORIGIN);
      const other = await preflight(port, 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    }
  }, 60_000);

  it('serves ?list through the workers to a browser credential the control plane issued', async () => {
    const { control, port } = await startPair({ workers: 2 });
    const admin = await control.login();
    const exports = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
    const files = exports.json<{ id: string; label: string }[]>().find((item) => item.label === 'Files');
    if (!files) throw new Error('no export');
    const issued = await control.app.inject({
      method: 'POST',
      url: `/api/v1/exports/${files.id}/browser-access`,
      headers: bearer(admin),
    });
    expect(issued.statusCode, issued.body).toBe(200);
    const access = issued.json<{ baseUrl: string; token: string }>();
    expect(new URL(access.baseUrl).port).toBe(String(port));
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${access.baseUrl}?list`, {
        headers: { authorization: `Bearer ${access.token}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ path: '/', entries: [], truncated: false });
    }
  }, 60_000);

  it("allows the control plane's own listen origin when no public URL is set", async () => {
    const { controlUrl, port } = await startPair({ workers: 1 });
    const origin = new URL(controlUrl).origin;
    await until(
      async () => (await preflight(port, origin)).headers['access-control-allow-origin'] === origin,
    );
    expect((await preflight(port, PUBLIC_ORIGIN)).headers['access-control-allow-origin']).toBeUndefined();
  }, 60_000);
});
