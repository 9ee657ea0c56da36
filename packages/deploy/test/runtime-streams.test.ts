// The Docker runtime's streams against a real dockerd: container output demultiplexed into lines with Docker's
// timestamps, a follow that ends with the container, capped long lines, and events (start, die with its exit
// code, health transitions) for managed containers only, across a cut connection to the engine.

import { connect as connectSocket, createServer, type Server, type Socket } from 'node:net';
import { dockerRequest, removeTempDirs, stopAll, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDockerRuntime,
  MAX_LINE_BYTES,
  type RuntimeEvent,
  type RuntimeLogLine,
  TRUNCATED_MARK,
} from '../src/runtime/index.js';
import { httpText, log, type RuntimeFixture, specFor, startRuntimeFixture } from './runtime-support.js';

let fx: RuntimeFixture;
beforeAll(async () => {
  fx = await startRuntimeFixture();
  for (const image of Object.values(fx.images)) await fx.runtime.pull(image.reference);
});
afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

async function collect(lines: AsyncIterable<RuntimeLogLine>): Promise<RuntimeLogLine[]> {
  const out: RuntimeLogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('logs', () => {
  it('separates stdout from stderr with Docker timestamps, and a follow ends when the container stops', async () => {
    const { spec, port } = await specFor(fx.images.web);
    const id = await fx.runtime.create(spec);
    const before = Date.now();
    await fx.runtime.start(id);
    await until(() => httpText(`http://127.0.0.1:${port}/`), 15_000);

    const followed = collect(fx.runtime.logs(id, { follow: true }));
    const snapshot = await until(async () => {
      const lines = await collect(fx.runtime.logs(id, { follow: false }));
      return lines.length >= 2 ? lines : undefined;
    }, 10_000);
    expect(snapshot.map(({ stream, line }) => [stream, line]).sort()).toEqual([
      ['stderr', 'test image web-v1 stderr line'],
      ['stdout', `test image web-v1 starting on 127.0.0.1:${port}`],
    ]);
    for (const line of snapshot) {
      expect(line.ts).toBeGreaterThanOrEqual(before - 1000);
      expect(line.ts).toBeLessThanOrEqual(Date.now());
    }

    await fx.runtime.stop(id, 5);
    // The follow ends by itself once the container has stopped, with the line printed on SIGTERM.
    const all = await followed;
    expect(all.map((entry) => entry.line)).toEqual(
      expect.arrayContaining([
        'test image web-v1 stderr line',
        `test image web-v1 starting on 127.0.0.1:${port}`,
        'test image web-v1 stopping',
      ]),
    );

    // sinceMs: nothing was printed after the stop.
    expect(await collect(fx.runtime.logs(id, { follow: false, sinceMs: Date.now() + 1000 }))).toEqual([]);
    await fx.runtime.remove(id);
  });

  it('ends a follow when its signal aborts while the container keeps running', async () => {
    const { spec, port } = await specFor(fx.images.web);
    const id = await fx.runtime.create(spec);
    await fx.runtime.start(id);
    await until(() => httpText(`http://127.0.0.1:${port}/`), 15_000);
    const abort = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const entry of fx.runtime.logs(id, { follow: true, signal: abort.signal }))
        seen.push(entry.line);
    })();
    await until(() => seen.length >= 2, 10_000);
    abort.abort();
    await following;
    expect((await fx.runtime.inspect(id))?.running).toBe(true);
    await fx.runtime.remove(id);
  });

  it('joins the parts Docker splits a long line into and caps it, keeping the next line intact', async () => {
    const { spec } = await specFor(fx.images.web, {
      cmd: ['/bin/sh', '-c', "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short; echo err >&2"],
    });
    const id = await fx.runtime.create(spec);
    await fx.runtime.start(id);
    await until(async () => (await fx.runtime.inspect(id))?.running === false, 15_000);
    const lines = await collect(fx.runtime.logs(id, { follow: false }));
    const stdout = lines.filter((entry) => entry.stream === 'stdout').map((entry) => entry.line);
    expect(stdout).toEqual([`${'a'.repeat(MAX_LINE_BYTES)}${TRUNCATED_MARK}`, 'short']);
    expect(lines.filter((entry) => entry.stream === 'stderr').map((entry) => entry.line)).toEqual(['err']);
    await fx.runtime.remove(id);
  });
});

describe('events', () => {
  it('reports start, die with the exit code, and health transitions, for managed containers only', async () => {
    const abort = new AbortController();
    const events: RuntimeEvent[] = [];
    const listening = (async () => {
      for await (const event of fx.runtime.events(abort.signal)) events.push(event);
    })();
    try {
      const crash = await specFor(fx.images.crash);
      const healthy = await specFor(fx.images.healthy);
      const sick = await specFor(fx.images.sick);
      const crashId = await fx.runtime.create(crash.spec);
      const healthyId = await fx.runtime.create(healthy.spec);
      const sickId = await fx.runtime.create(sick.spec);
      for (const id of [crashId, healthyId, sickId]) await fx.runtime.start(id);
      // A container Homeport did not create: its events must not come through.
      const foreign = await dockerRequest(
        fx.dockerd.socketPath,
        'POST',
        '/containers/create?name=foreign-events',
        {
          body: { Image: fx.images.crash.reference, Env: ['EXIT_CODE=9'] },
        },
      );
      const foreignId = (JSON.parse(foreign.body) as { Id: string }).Id;
      await dockerRequest(fx.dockerd.socketPath, 'POST', `/containers/${foreignId}/start`);

      const find = (predicate: (event: RuntimeEvent) => boolean) => () => events.find(predicate);
      const died = await until(
        find((e) => e.kind === 'die' && e.containerId === crashId),
        15_000,
      );
      expect(died).toMatchObject({ exitCode: 7, labels: crash.spec.labels });
      expect(died.ts).toBeGreaterThan(Date.now() - 60_000);
      expect(events.some((e) => e.kind === 'start' && e.containerId === crashId)).toBe(true);

      const healthEvent = await until(
        find((e) => e.kind === 'health' && e.containerId === healthyId && e.health === 'healthy'),
        20_000,
      );
      expect(healthEvent.labels).toEqual(healthy.spec.labels);
      expect((await fx.runtime.inspect(healthyId))?.health).toBe('healthy');
      await until(
        find((e) => e.kind === 'health' && e.containerId === sickId && e.health === 'unhealthy'),
        20_000,
      );
      expect((await fx.runtime.inspect(sickId))?.health).toBe('unhealthy');

      // The foreign container has died meanwhile (it crashes at once); none of its events came through.
      await until(async () => {
        const state = JSON.parse(
          (await dockerRequest(fx.dockerd.socketPath, 'GET', `/containers/${foreignId}/json`)).body,
        ) as { State: { Status: string } };
        return state.State.Status === 'exited';
      }, 15_000);
      expect(events.filter((e) => e.containerId === foreignId)).toEqual([]);

      for (const id of [crashId, healthyId, sickId]) await fx.runtime.remove(id);
      await dockerRequest(fx.dockerd.socketPath, 'DELETE', `/containers/${foreignId}?force=1`);
    } finally {
      abort.abort();
      await listening;
    }
  });

  it('delivers events that happen between the call and the first read', async () => {
    const abort = new AbortController();
    const stream = fx.runtime.events(abort.signal);
    const { spec } = await specFor(fx.images.crash);
    const id = await fx.runtime.create(spec);
    await fx.runtime.start(id);
    await until(async () => (await fx.runtime.inspect(id))?.running === false, 15_000);
    const seen: RuntimeEvent[] = [];
    try {
      for await (const event of stream) {
        seen.push(event);
        if (event.kind === 'die' && event.containerId === id) break;
      }
    } finally {
      abort.abort();
    }
    expect(seen.map((event) => event.kind)).toEqual(['start', 'die']);
    await fx.runtime.remove(id);
  });

  it('reconnects after the connection to the engine is cut, replaying what happened meanwhile exactly once', async () => {
    // The runtime reaches the engine over tcp:// through this relay, which the test can cut and hold closed.
    const relay = await startRelay(fx.dockerd.socketPath);
    const abort = new AbortController();
    const events: RuntimeEvent[] = [];
    const remote = createDockerRuntime({ dockerHost: `tcp://127.0.0.1:${relay.port}`, log });
    const listening = (async () => {
      for await (const event of remote.events(abort.signal)) events.push(event);
    })();
    try {
      const runCrash = async () => {
        const { spec } = await specFor(fx.images.crash);
        const id = await fx.runtime.create(spec);
        await fx.runtime.start(id);
        return id;
      };
      const first = await runCrash();
      await until(() => events.some((e) => e.kind === 'die' && e.containerId === first), 15_000);

      relay.cut(true);
      const during = await runCrash();
      await until(async () => (await fx.runtime.inspect(during))?.running === false, 15_000);
      relay.cut(false);

      await until(() => events.some((e) => e.kind === 'die' && e.containerId === during), 15_000);
      const after = await runCrash();
      await until(() => events.some((e) => e.kind === 'die' && e.containerId === after), 15_000);
      const kinds = (id: string) => events.filter((e) => e.containerId === id).map((e) => e.kind);
      expect([kinds(first), kinds(during), kinds(after)]).toEqual([
        ['start', 'die'],
        ['start', 'die'],
        ['start', 'die'],
      ]);
      for (const id of [first, during, after]) await fx.runtime.remove(id);
    } finally {
      abort.abort();
      await listening;
      await relay.close();
    }
  });
});

interface Relay {
  port: number;
  /** Destroys every open connection; with `hold`, refuses new ones until called again with false. */
  cut(hold: boolean): void;
  close(): Promise<void>;
}

/** A TCP listener on loopback relaying each connection to the engine's unix socket. */
async function startRelay(socketPath: string): Promise<Relay> {
  const open = new Set<Socket>();
  let holding = false;
  const server: Server = createServer((client) => {
    if (holding) {
      client.destroy();
      return;
    }
    const upstream = connectSocket(socketPath);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    cut(hold) {
      holding = hold;
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
