// The Docker runtime against a real dockerd and registry: pull by digest, the container lifecycle, labels that
// survive a new runtime object, images, and input that must be refused before it reaches Docker.

import {
  dockerRequest,
  pushTestImage,
  removeTempDirs,
  startRegistry,
  stopAll,
  until,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployError } from '../src/errors.js';
import { type ContainerSpec, createDockerRuntime } from '../src/runtime/index.js';
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

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeployError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a DeployError');
}

describe('engine and images', () => {
  it('pings the engine, and reports runtime_unavailable for a socket nobody serves', async () => {
    await fx.runtime.ping();
    const nowhere = createDockerRuntime({ dockerHost: `unix://${fx.dockerd.dir}/nothing.sock`, log });
    expect(await codeOf(nowhere.ping())).toMatch(/^runtime_unavailable: /);
  });

  it('has pulled images by digest and reads their HEALTHCHECK', async () => {
    expect(await fx.runtime.hasImage(fx.images.web.reference)).toBe(true);
    expect(await fx.runtime.imageHealthcheck(fx.images.web.reference)).toBeNull();
    expect(await fx.runtime.imageHealthcheck(fx.images.healthy.reference)).toEqual({
      test: ['CMD-SHELL', expect.stringContaining('wget')],
      intervalMs: 500,
      timeoutMs: 1000,
      retries: 2,
      startPeriodMs: 0,
    });
    const missing = `${fx.registry.host}/shop/web@sha256:${'0'.repeat(64)}`;
    expect(await fx.runtime.hasImage(missing)).toBe(false);
  });

  it('fails the pull of an unknown digest with registry_not_found naming the reference', async () => {
    const unknown = `${fx.registry.host}/shop/web@sha256:${'e'.repeat(64)}`;
    const message = await codeOf(fx.runtime.pull(unknown));
    expect(message).toMatch(
      /^registry_not_found: pull .*shop\/web@sha256:e{64}: .*(manifest unknown|not found)/i,
    );
    const noRepository = `${fx.registry.host}/shop/none@sha256:${'e'.repeat(64)}`;
    expect(await codeOf(fx.runtime.pull(noRepository))).toMatch(/^registry_not_found: /);
  });

  it('bounds a pull by its signal', async () => {
    const abort = new AbortController();
    abort.abort(new Error('deploy cancelled'));
    await expect(fx.runtime.pull(fx.images.web.reference, undefined, abort.signal)).rejects.toThrow(
      'deploy cancelled',
    );
  });

  it('lists the local images of a repository and keeps an image a container uses', async () => {
    const images = await fx.runtime.listImages(`${fx.registry.host}/shop/web`);
    expect(images.flatMap((image) => image.digests).sort()).toEqual(
      [fx.images.web.digest, fx.images.healthy.digest].sort(),
    );
    expect(images.every((image) => image.id.startsWith('sha256:') && image.createdAt > 0)).toBe(true);

    const { spec } = await specFor(fx.images.crash);
    const id = await fx.runtime.create(spec);
    expect(await fx.runtime.removeImage(fx.images.crash.reference)).toBe('in_use');
    expect(await fx.runtime.hasImage(fx.images.crash.reference)).toBe(true);
    await fx.runtime.remove(id);
    expect(await fx.runtime.removeImage(fx.images.crash.reference)).toBe('removed');
    expect(await fx.runtime.hasImage(fx.images.crash.reference)).toBe(false);
    expect(await fx.runtime.removeImage(fx.images.crash.reference)).toBe('absent');
    await fx.runtime.pull(fx.images.crash.reference);
  });
});

describe('registry credentials', () => {
  it('pulls from a registry with auth only with the right credentials, and says which failed', async () => {
    const locked = await startRegistry({ auth: { user: 'deployer', password: 'right-password-1' } });
    const image = await pushTestImage(locked, {
      repository: 'private/app',
      tag: 'v1',
      version: 'private-v1',
    });
    const wrong = { username: 'deployer', password: 'wrong-password', serveraddress: locked.host };
    expect(await codeOf(fx.runtime.pull(image.reference))).toMatch(
      /^registry_unavailable: pull .*private\/app@sha256:/,
    );
    const refused = await codeOf(fx.runtime.pull(image.reference, wrong));
    expect(refused).toMatch(/^registry_unavailable: /);
    expect(refused).not.toContain('wrong-password');
    expect(await fx.runtime.hasImage(image.reference)).toBe(false);
    await fx.runtime.pull(image.reference, { ...wrong, password: 'right-password-1' });
    expect(await fx.runtime.hasImage(image.reference)).toBe(true);
    await locked.stop();
  });
});

describe('container lifecycle', () => {
  it('creates, starts, inspects, stops and removes a container; stop and remove of a gone one are no errors', async () => {
    const { spec, port } = await specFor(fx.images.web);
    spec.env.GREETING = 'hello; $(id) `id` | & > /tmp/x';
    const id = await fx.runtime.create(spec);
    const created = await fx.runtime.inspect(id);
    expect(created).toMatchObject({ id, name: spec.name, running: false, exitCode: null, startedAt: null });

    await fx.runtime.start(id);
    await fx.runtime.start(id); // already running: no error
    expect(await until(() => httpText(`http://127.0.0.1:${port}/`), 15_000)).toBe('200 web-v1\n');
    const running = await fx.runtime.inspect(id);
    expect(running).toMatchObject({
      id,
      labels: spec.labels,
      imageRef: fx.images.web.reference,
      imageDigest: fx.images.web.digest,
      running: true,
      exitCode: null,
      finishedAt: null,
      health: 'none',
      restartCount: 0,
      oomKilled: false,
    });
    expect(running?.startedAt).toBeGreaterThan(Date.now() - 60_000);
    // The env value reached the container as data, not as shell.
    const env = JSON.parse(
      (await dockerRequest(fx.dockerd.socketPath, 'GET', `/containers/${id}/json`)).body,
    ) as { Config: { Env: string[] } };
    expect(env.Config.Env).toContain('GREETING=hello; $(id) `id` | & > /tmp/x');

    await fx.runtime.stop(id, 5);
    const stopped = await fx.runtime.inspect(id);
    // The image's shell traps SIGTERM and exits 0.
    expect(stopped).toMatchObject({ running: false, exitCode: 0 });
    expect(stopped?.finishedAt).toBeGreaterThanOrEqual(stopped?.startedAt ?? Number.POSITIVE_INFINITY);
    expect(await httpText(`http://127.0.0.1:${port}/`)).toBeUndefined();
    await fx.runtime.stop(id, 5);

    await fx.runtime.remove(id);
    expect(await fx.runtime.inspect(id)).toBeNull();
    await fx.runtime.remove(id);
    await fx.runtime.stop(id, 1);
  });

  it('reports the exit code of a container that crashed', async () => {
    const { spec } = await specFor(fx.images.crash);
    const id = await fx.runtime.create(spec);
    await fx.runtime.start(id);
    const state = await until(async () => {
      const current = await fx.runtime.inspect(id);
      return current && !current.running && current.exitCode !== null ? current : undefined;
    }, 15_000);
    expect(state.exitCode).toBe(7);
    await fx.runtime.remove(id);
  });

  it('finds managed containers by label from a new runtime object, and ignores containers it did not create', async () => {
    const blue = await specFor(fx.images.web, {});
    const green = await specFor(fx.images.web, {});
    green.spec.labels = { ...green.spec.labels, color: 'green', stage: 'staging' };
    const blueId = await fx.runtime.create(blue.spec);
    const greenId = await fx.runtime.create(green.spec);
    await fx.runtime.start(blueId);
    const foreign = await dockerRequest(fx.dockerd.socketPath, 'POST', '/containers/create?name=foreign', {
      body: {
        Image: fx.images.web.reference,
        Labels: { 'homeport.project': 'shop', 'homeport.color': 'blue' },
      },
    });
    expect(foreign.status, foreign.body).toBe(201);
    const foreignId = (JSON.parse(foreign.body) as { Id: string }).Id;

    // As after a restart of Homeport: nothing but the engine remembers.
    const fresh = createDockerRuntime({ dockerHost: fx.dockerd.dockerHost, log });
    const all = await fresh.list({ project: 'shop' });
    expect(all.map((state) => state.id)).toEqual(expect.arrayContaining([blueId, greenId]));
    expect(all.map((state) => state.id)).not.toContain(foreignId);
    const greens = await fresh.list({ project: 'shop', stage: 'staging', color: 'green' });
    expect(greens.map((state) => [state.id, state.labels, state.running])).toEqual([
      [greenId, green.spec.labels, false],
    ]);
    expect(await fresh.list({ project: 'other' })).toEqual([]);
    expect(await fresh.inspect(foreignId)).toBeNull();
    expect((await fresh.inspect(blueId))?.labels).toEqual(blue.spec.labels);

    for (const id of [blueId, greenId]) await fresh.remove(id);
    await dockerRequest(fx.dockerd.socketPath, 'DELETE', `/containers/${foreignId}?force=1`);
  });

  it('mounts a host folder read-only and a named volume', async () => {
    const { spec } = await specFor(fx.images.web, {
      volumes: [
        { source: fx.dockerd.dir, target: '/host', readOnly: true },
        { source: 'hp-test-data', target: '/data', readOnly: false },
      ],
      cmd: [
        '/bin/sh',
        '-c',
        'touch /host/x 2>/dev/null && echo writable || echo read-only; touch /data/ok && echo volume-ok',
      ],
    });
    const id = await fx.runtime.create(spec);
    await fx.runtime.start(id);
    await until(async () => (await fx.runtime.inspect(id))?.running === false, 15_000);
    const lines: string[] = [];
    for await (const entry of fx.runtime.logs(id, { follow: false })) lines.push(entry.line);
    expect(lines).toEqual(['read-only', 'volume-ok']);
    await fx.runtime.remove(id);
  });
});

describe('input refused before it reaches Docker', () => {
  // A runtime whose socket does not exist: anything that got past validation would fail runtime_unavailable.
  const offline = () => createDockerRuntime({ dockerHost: `unix://${fx.dockerd.dir}/offline.sock`, log });
  const digest = `sha256:${'a'.repeat(64)}`;

  const badSpecs: [string, (spec: ContainerSpec) => void][] = [
    [
      'a name with shell metacharacters',
      (s) => {
        s.name = 'web; rm -rf /';
      },
    ],
    [
      'a name with command substitution',
      (s) => {
        s.name = '$(id)';
      },
    ],
    [
      'a name starting with a dash',
      (s) => {
        s.name = '-e';
      },
    ],
    [
      'an env key with a space',
      (s) => {
        s.env = { 'A B': '1' };
      },
    ],
    [
      'an env key with =',
      (s) => {
        s.env = { 'A=B': '1' };
      },
    ],
    [
      'an env key with ;',
      (s) => {
        s.env = { 'A;touch /x': '1' };
      },
    ],
    [
      'an env value with NUL',
      (s) => {
        s.env = { A: 'x\0y' };
      },
    ],
    [
      'an image by tag',
      (s) => {
        s.image = '127.0.0.1:5000/shop/web:latest';
      },
    ],
    [
      'an image by tag and digest',
      (s) => {
        s.image = `127.0.0.1:5000/shop/web:latest@${digest}`;
      },
    ],
    [
      'an image with a short digest',
      (s) => {
        s.image = '127.0.0.1:5000/shop/web@sha256:abc';
      },
    ],
    [
      'an image with an option in it',
      (s) => {
        s.image = `--privileged@${digest}`;
      },
    ],
    [
      'a volume target with ..',
      (s) => {
        s.volumes = [{ source: '/srv/data', target: '/data/../etc', readOnly: false }];
      },
    ],
    [
      'a volume source with options',
      (s) => {
        s.volumes = [{ source: 'data:/etc:rw', target: '/data', readOnly: false }];
      },
    ],
    [
      'a relative bind source',
      (s) => {
        s.volumes = [{ source: '../etc', target: '/data', readOnly: false }];
      },
    ],
    [
      'a cmd argument with NUL',
      (s) => {
        s.cmd = ['/bin/sh', '-c', 'echo\0hi'];
      },
    ],
    [
      'a color that is not blue or green',
      (s) => {
        (s.labels as { color: string }).color = 'red';
      },
    ],
    [
      'a label with a line break',
      (s) => {
        s.labels = { ...s.labels, project: 'shop\nevil' };
      },
    ],
    [
      'bridge networking',
      (s) => {
        (s.network as { mode: string }).mode = 'bridge';
      },
    ],
    [
      'a negative memory limit',
      (s) => {
        s.memoryBytes = -1;
      },
    ],
  ];

  it.each(badSpecs)('refuses %s with deploy_bad_request', async (_, mutate) => {
    const { spec } = await specFor(fx.images.web);
    mutate(spec);
    expect(await codeOf(offline().create(spec))).toMatch(/^deploy_bad_request: /);
  });

  it('refuses unpinned references and odd ids on every call', async () => {
    const runtime = offline();
    for (const attempt of [
      runtime.pull('127.0.0.1:5000/shop/web:v1'),
      runtime.pull('shop/web'),
      runtime.hasImage('shop/web:latest'),
      runtime.imageHealthcheck('shop/web'),
      runtime.removeImage('shop/web:latest'),
      runtime.listImages('Shop/Web;id'),
      runtime.start('abc; rm -rf /'),
      runtime.stop('../../etc', 1),
      runtime.remove('id with spaces'),
      runtime.inspect('$(id)'),
    ])
      expect(await codeOf(attempt)).toMatch(/^deploy_bad_request: /);
  });

  it('refuses a dockerHost that is not unix:// or tcp://', () => {
    expect(() => createDockerRuntime({ dockerHost: 'http://127.0.0.1:2375', log })).toThrow(DeployError);
    expect(() => createDockerRuntime({ dockerHost: 'unix://relative.sock', log })).toThrow(DeployError);
  });
});
