// The testkit's dockerd, registry and test images: an engine that leaves nothing behind (stopped or killed), and
// images pushed without Docker that pull by digest and run on host networking.

import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder, processesMentioning } from '../src/docker.js';
import {
  type DockerdInstance,
  dockerRequest,
  freePort,
  pushTestImage,
  type RegistryInstance,
  removeTempDirs,
  startDockerd,
  startRegistry,
  stopAll,
  until,
} from '../src/index.js';

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

async function pull(dockerd: DockerdInstance, reference: string, registryAuth?: string): Promise<void> {
  const answer = await dockerRequest(
    dockerd.socketPath,
    'POST',
    `/images/create?fromImage=${encodeURIComponent(reference)}`,
    registryAuth === undefined ? {} : { headers: { 'x-registry-auth': registryAuth } },
  );
  // The engine streams JSON progress; a failed pull can still answer 200 with an errorDetail line.
  if (answer.status !== 200 || answer.body.includes('"errorDetail"'))
    throw new Error(`pull ${reference}: ${answer.status} ${answer.body}`);
}

async function run(dockerd: DockerdInstance, name: string, image: string, env: string[]): Promise<string> {
  const created = await dockerRequest(dockerd.socketPath, 'POST', `/containers/create?name=${name}`, {
    body: { Image: image, Env: env, HostConfig: { NetworkMode: 'host' } },
  });
  expect(created.status, created.body).toBe(201);
  const { Id } = JSON.parse(created.body) as { Id: string };
  const started = await dockerRequest(dockerd.socketPath, 'POST', `/containers/${Id}/start`);
  expect(started.status, started.body).toBe(204);
  return Id;
}

async function httpText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return `${response.status} ${await response.text()}`;
  } catch {
    // Not listening (yet, or any more).
    return undefined;
  }
}

function leftovers(dir: string): { processes: number[]; mounts: string[]; dirExists: boolean } {
  return { processes: processesMentioning(dir), mounts: mountsUnder(dir), dirExists: existsSync(dir) };
}

describe('startDockerd', () => {
  it('answers /_ping and leaves no process, mount or folder after stop, with a container still running', async () => {
    const registry = await startRegistry();
    const image = await pushTestImage(registry, { repository: 'kit/stop', tag: 'v1' });
    const dockerd = await startDockerd();
    expect((await dockerRequest(dockerd.socketPath, 'GET', '/_ping')).body).toBe('OK');
    await pull(dockerd, image.reference);
    const port = await freePort();
    await run(dockerd, 'left-running', image.reference, [`PORT=${port}`]);
    await until(() => httpText(`http://127.0.0.1:${port}/`), 15_000);

    await dockerd.stop();
    expect(leftovers(dockerd.dir)).toEqual({ processes: [], mounts: [], dirExists: false });
    expect(await httpText(`http://127.0.0.1:${port}/`)).toBeUndefined();
    await registry.stop();
  });

  it('takes its containers with it when its process is SIGKILLed (a test worker that died)', async () => {
    const registry = await startRegistry();
    const image = await pushTestImage(registry, { repository: 'kit/crash', tag: 'v1' });
    const dockerd = await startDockerd();
    await pull(dockerd, image.reference);
    const port = await freePort();
    await run(dockerd, 'orphan', image.reference, [`PORT=${port}`]);
    await until(() => httpText(`http://127.0.0.1:${port}/`), 15_000);
    expect(processesMentioning(dockerd.dir).length).toBeGreaterThanOrEqual(3);

    // What PDEATHSIG does to it when the worker dies: SIGKILL to the process the testkit started.
    process.kill(dockerd.process.pid, 'SIGKILL');
    await until(() => processesMentioning(dockerd.dir).length === 0, 10_000);
    await until(async () => (await httpText(`http://127.0.0.1:${port}/`)) === undefined, 10_000);
    expect(mountsUnder(dockerd.dir)).toEqual([]);
    await dockerd.stop();
    expect(existsSync(dockerd.dir)).toBe(false);
    await registry.stop();
  });
});

describe('pushTestImage', () => {
  let dockerd: DockerdInstance;
  let registry: RegistryInstance;
  const registryAuth = () =>
    Buffer.from(
      JSON.stringify({ username: 'kit', password: 'kit-secret-1', serveraddress: registry.host }),
    ).toString('base64');
  beforeAll(async () => {
    [dockerd, registry] = await Promise.all([
      startDockerd(),
      startRegistry({ auth: { user: 'kit', password: 'kit-secret-1' } }),
    ]);
  });

  it('pushes http images that pull by digest (with credentials only) and serve their version', async () => {
    const v1 = await pushTestImage(registry, { repository: 'kit/web', tag: 'v1', version: 'release-one' });
    const v2 = await pushTestImage(registry, { repository: 'kit/web', tag: 'v2', version: 'release-two' });
    expect(v1.digest).not.toBe(v2.digest);
    expect(v1.reference).toBe(`${registry.host}/kit/web@${v1.digest}`);
    // The tag names the same manifest, and anonymous access is refused.
    const head = await fetch(`${registry.url}/v2/kit/web/manifests/v1`, {
      method: 'HEAD',
      headers: {
        accept: 'application/vnd.docker.distribution.manifest.v2+json',
        authorization: `Basic ${Buffer.from('kit:kit-secret-1').toString('base64')}`,
      },
    });
    expect(head.headers.get('docker-content-digest')).toBe(v1.digest);
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(401);

    await expect(pull(dockerd, v1.reference)).rejects.toThrow(/basic auth|unauthorized|authentication/i);
    await pull(dockerd, v1.reference, registryAuth());
    await pull(dockerd, v2.reference, registryAuth());
    const [port1, port2] = [await freePort(), await freePort()];
    await run(dockerd, 'web-v1', v1.reference, [`PORT=${port1}`]);
    await run(dockerd, 'web-v2', v2.reference, [`PORT=${port2}`]);
    expect(await until(() => httpText(`http://127.0.0.1:${port1}/`), 15_000)).toBe('200 release-one\n');
    expect(await until(() => httpText(`http://127.0.0.1:${port2}/`), 15_000)).toBe('200 release-two\n');
    expect(await httpText(`http://127.0.0.1:${port1}/health`)).toBe('200 ok\n');
  });

  it('builds the unhealthy, crash and slow-start variants', async () => {
    const unhealthy = await pushTestImage(registry, {
      repository: 'kit/bad',
      tag: 'sick',
      variant: 'unhealthy',
    });
    const crash = await pushTestImage(registry, {
      repository: 'kit/bad',
      tag: 'crash',
      variant: 'crash',
      exitCode: 7,
    });
    const slow = await pushTestImage(registry, {
      repository: 'kit/bad',
      tag: 'slow',
      variant: 'slow-start',
      startDelaySec: 2,
    });
    for (const image of [unhealthy, crash, slow]) await pull(dockerd, image.reference, registryAuth());

    const sickPort = await freePort();
    await run(dockerd, 'sick', unhealthy.reference, [`PORT=${sickPort}`]);
    expect(await until(() => httpText(`http://127.0.0.1:${sickPort}/`), 15_000)).toBe('200 sick\n');
    expect(await httpText(`http://127.0.0.1:${sickPort}/health`)).toMatch(/^404 /);

    const crashed = await run(dockerd, 'crash', crash.reference, ['PORT=1']);
    const state = await until(async () => {
      const inspected = JSON.parse(
        (await dockerRequest(dockerd.socketPath, 'GET', `/containers/${crashed}/json`)).body,
      ) as {
        State: { Running: boolean; ExitCode: number; Status: string };
      };
      return inspected.State.Status === 'exited' ? inspected.State : undefined;
    }, 15_000);
    expect(state.ExitCode).toBe(7);

    const slowPort = await freePort();
    const started = Date.now();
    await run(dockerd, 'slow', slow.reference, [`PORT=${slowPort}`]);
    await until(() => httpText(`http://127.0.0.1:${slowPort}/`), 15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('builds a node image serving its version over HTTP, SSE and WebSocket', async () => {
    const app = await pushTestImage(registry, {
      repository: 'kit/node',
      tag: 'n1',
      variant: 'node',
      version: 'node-one',
    });
    await pull(dockerd, app.reference, registryAuth());
    const port = await freePort();
    await run(dockerd, 'node-app', app.reference, [`PORT=${port}`]);
    expect(await until(() => httpText(`http://127.0.0.1:${port}/`), 20_000)).toBe('200 node-one\n');
    expect(await httpText(`http://127.0.0.1:${port}/health`)).toBe('200 ok\n');

    const sse = await fetch(`http://127.0.0.1:${port}/sse`);
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    const reader = sse.body?.getReader();
    const first = await reader?.read();
    expect(Buffer.from(first?.value ?? []).toString()).toBe('data: node-one 1\n\n');
    await reader?.cancel();

    expect(await webSocketExchange(port, 'hello there')).toEqual(['version node-one', 'hello there']);
  });
});

describe('startRegistry', () => {
  it('posts push events to the notifications endpoint with the bearer token', async () => {
    const received: { authorization: string | undefined; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ authorization: req.headers.authorization, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const address = hook.address();
    const hookPort = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const registry = await startRegistry({
        notifications: { url: `http://127.0.0.1:${hookPort}/events`, token: 'hook-token-1' },
      });
      const image = await pushTestImage(registry, { repository: 'kit/events', tag: 'e1' });
      const push = await until(
        () =>
          received.find((event) => {
            const envelope = JSON.parse(event.body) as {
              events: { action: string; target: { repository: string; digest: string; tag?: string } }[];
            };
            return envelope.events.some(
              (item) =>
                item.action === 'push' && item.target.tag === 'e1' && item.target.digest === image.digest,
            );
          }),
        15_000,
      );
      expect(push.authorization).toBe('Bearer hook-token-1');
      await registry.stop();
    } finally {
      hook.close();
    }
  });
});

// A WebSocket client just big enough for the node image: handshake, one masked text frame out, frames in.
function webSocketExchange(port: number, message: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: string[] = [];
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    socket.setTimeout(5000, () => socket.destroy(new Error('websocket timed out')));
    socket.on('error', reject);
    socket.on('connect', () =>
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head}`));
        upgraded = true;
        buffered = buffered.subarray(end + 4);
        const mask = Buffer.from([1, 2, 3, 4]);
        const payload = Buffer.from(message);
        const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
      }
      while (buffered.length >= 2 && buffered.length >= 2 + ((buffered[1] ?? 0) & 127)) {
        const length = (buffered[1] ?? 0) & 127;
        received.push(buffered.subarray(2, 2 + length).toString());
        buffered = buffered.subarray(2 + length);
      }
      if (received.length >= 2) {
        socket.destroy();
        resolve(received);
      }
    });
  });
}
