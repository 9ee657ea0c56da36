// Guards of the deploy API on a real dockerd and registry: every route but the registry webhook needs an
// admin (401 without a session, 403 for a member), promote takes only digests running healthy in the source
// stage, a manual tag must match the stage's pattern, and injection attempts through names, tags, env keys,
// images, hosts and volumes are refused with 400 before anything reaches the store or Docker.

import { pushTestImage } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  useDeployHomeport,
} from './support/deploy-homeport.js';

let engine: Engine;
let h: DeployHomeport;

useDeployHomeport((started) => {
  ({ engine, h } = started);
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every deploy route from the OpenAPI document Fastify builds from the registered routes. */
async function deployRoutes(): Promise<{ method: string; path: string }[]> {
  const response = await fetch(`${h.url}/api/v1/openapi.json`);
  const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
  const routes: { method: string; path: string }[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/v1/deploy/')) continue;
    for (const method of METHODS) if (operations[method]) routes.push({ method: method.toUpperCase(), path });
  }
  return routes;
}

/** A concrete URL for an OpenAPI path: parameters filled with values that exist (or look like they could). */
const concrete = (path: string) =>
  path
    .replace('{project}', 'guard')
    .replace('{stage}', 'production')
    .replace('{deployId}', 'AAAAAAAAAAAAAAAA')
    .replace('{releaseId}', 'AAAAAAAAAAAAAAAA');

async function raw(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function addMember(): Promise<string> {
  const created = await fetch(`${h.url}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'member1', password: 'member-password-1', role: 'member' }),
  });
  expect(created.status).toBe(201);
  return h.t.login('member1', 'member-password-1');
}

async function containerCount() {
  return (await h.deploy.runtime.list()).length;
}

describe('deploy guards', () => {
  it('answers 401 without a session and 403 to a member on every deploy route but the registry webhook', async () => {
    const created = await h.api('POST', '/projects', { name: 'guard' });
    expect(created.status).toBe(201);
    const routes = await deployRoutes();
    // The API has projects, stages, deploys, releases, logs, promote, rollback, cancel, the webhook token…
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/v1/deploy/webhooks/registry' });
    const member = await addMember();
    const guarded = routes.filter((r) => r.path !== '/api/v1/deploy/webhooks/registry');
    const wrong: string[] = [];
    for (const route of guarded) {
      const url = `${h.url}${concrete(route.path)}`;
      // Without a body, with a body that fails the schema, and with a valid-looking one: the guard answers
      // first every time (an anonymous caller learns nothing of the schema or of what exists).
      const bodies =
        route.method === 'GET' || route.method === 'DELETE' ? [undefined] : [undefined, { x: 1 }];
      for (const body of bodies) {
        const anonymous = await raw(route.method, url, {}, body);
        if (anonymous !== 401) wrong.push(`${route.method} ${route.path} anonymous ${anonymous}`);
        const forged = await raw(route.method, url, { authorization: 'Bearer not-a-session' }, body);
        if (forged !== 401) wrong.push(`${route.method} ${route.path} forged ${forged}`);
        const asMember = await raw(route.method, url, { authorization: `Bearer ${member}` }, body);
        if (asMember !== 403) wrong.push(`${route.method} ${route.path} member ${asMember}`);
      }
    }
    expect(wrong).toEqual([]);
    // The project is still there: no anonymous or member DELETE went through.
    expect((await h.api('GET', '/projects/guard')).status).toBe(200);
  }, 60_000);

  it('refuses a promote of a digest not running healthy in the source stage with 409 listing the eligible ones, and accepts the one that is', async () => {
    await h.api('POST', '/projects', { name: 'promo' });
    const image = `${engine.registry.host}/promo/web`;
    const v1 = await pushTestImage(engine.registry, {
      repository: 'promo/web',
      tag: 'v1',
      version: 'promo-v1',
    });
    const v2 = await pushTestImage(engine.registry, {
      repository: 'promo/web',
      tag: 'v2',
      version: 'promo-v2',
    });
    expect(
      (
        await h.api('POST', '/projects/promo/stages', {
          name: 'staging',
          config: stageConfig(image, 'staging.promo.test'),
        })
      ).status,
    ).toBe(201);
    const production = await h.api('POST', '/projects/promo/stages', {
      name: 'production',
      config: stageConfig(image, 'promo.test', { promoteFrom: 'staging' }),
    });
    expect(production.status, JSON.stringify(production.json)).toBe(201);

    // Nothing runs in staging yet: nothing is eligible.
    const early = await h.api('POST', '/projects/promo/stages/production/promote', { digest: v1.digest });
    expect(early.status).toBe(409);
    expect(early.json.error.eligible).toEqual([]);

    const staged = await h.api('POST', '/projects/promo/stages/staging/deploys', { tag: 'v1' });
    expect(staged.status).toBe(202);
    expect((await h.finished(staged.json.id)).status).toBe('succeeded');

    const refused = await h.api('POST', '/projects/promo/stages/production/promote', { digest: v2.digest });
    expect(refused.status, JSON.stringify(refused.json)).toBe(409);
    expect(refused.json.error.eligible).toEqual([v1.digest]);
    // A tag or an ineligible digest through the plain deploy route is refused too.
    expect((await h.api('POST', '/projects/promo/stages/production/deploys', { tag: 'v2' })).status).toBe(
      400,
    );
    expect(
      (await h.api('POST', '/projects/promo/stages/production/deploys', { digest: v2.digest })).status,
    ).toBe(409);
    const eligible = await h.api('GET', '/projects/promo/stages/production/promote');
    expect(eligible.json.eligible).toEqual([v1.digest]);

    const accepted = await h.api('POST', '/projects/promo/stages/production/promote', { digest: v1.digest });
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    const done = await h.finished(accepted.json.id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.trigger).toBe('promote');
    expect(done.digest).toBe(v1.digest);
    expect((await h.viaProxy('promo.test')).body).toContain('promo-v1');
  }, 60_000);

  it('refuses a manual deploy of a tag that does not match the stage pattern with 400', async () => {
    await h.api('POST', '/projects', { name: 'pattern' });
    const created = await h.api('POST', '/projects/pattern/stages', {
      name: 'production',
      config: stageConfig(`${engine.registry.host}/pattern/web`, 'pattern.test', {
        tagPattern: { kind: 'semver', value: '^1.0.0' },
      }),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const before = await containerCount();
    for (const tag of ['2.0.0', 'latest', 'v1']) {
      const refused = await h.api('POST', '/projects/pattern/stages/production/deploys', { tag });
      expect(refused.status, tag).toBe(400);
      expect(refused.json.error.message).toMatch(/tag pattern/);
    }
    const history = await h.api('GET', '/projects/pattern/stages/production/deploys');
    expect(history.json).toEqual([]);
    expect(await containerCount()).toBe(before);
  });

  it('refuses injection attempts through names, tags, env keys, images, hosts and volumes with 400 before Docker sees them', async () => {
    await h.api('POST', '/projects', { name: 'inject' });
    const image = `${engine.registry.host}/inject/web`;
    const okStage = await h.api('POST', '/projects/inject/stages', {
      name: 'production',
      config: stageConfig(image, 'inject.test'),
    });
    expect(okStage.status).toBe(201);
    const before = await containerCount();
    const refused: [string, string, string, unknown][] = [
      // project and stage names with shell metacharacters, traversal, upper case
      ['project name ;', 'POST', '/projects', { name: 'a;rm -rf /' }],
      ['project name $()', 'POST', '/projects', { name: '$(reboot)' }],
      ['project name `', 'POST', '/projects', { name: '`id`' }],
      ['project name ..', 'POST', '/projects', { name: '..' }],
      ['project name upper', 'POST', '/projects', { name: 'Shop' }],
      ['project name newline', 'POST', '/projects', { name: 'a\nb' }],
      ['stage name |', 'POST', '/projects/inject/stages', { name: 'x|sh', config: stageConfig(image, null) }],
      [
        'stage name space',
        'POST',
        '/projects/inject/stages',
        { name: 'a b', config: stageConfig(image, null) },
      ],
      [
        'stage name &&',
        'POST',
        '/projects/inject/stages',
        { name: 'a&&b', config: stageConfig(image, null) },
      ],
      // tags
      ['tag ;', 'POST', '/projects/inject/stages/production/deploys', { tag: 'v1;rm -rf /' }],
      ['tag $()', 'POST', '/projects/inject/stages/production/deploys', { tag: '$(id)' }],
      ['tag space', 'POST', '/projects/inject/stages/production/deploys', { tag: 'v1 --privileged' }],
      ['tag leading dash', 'POST', '/projects/inject/stages/production/deploys', { tag: '-v1' }],
      ['tag ..', 'POST', '/projects/inject/stages/production/deploys', { tag: '../v1' }],
      ['digest', 'POST', '/projects/inject/stages/production/deploys', { digest: 'sha256:abc;id' }],
      // env keys
      ...['A=B', '$(x)', 'A B', '1A', 'A;B', 'A\nB', ''].map((name): [string, string, string, unknown] => [
        `env key ${JSON.stringify(name)}`,
        'POST',
        '/projects/inject/stages',
        { name: 'env', config: stageConfig(image, null, { env: [{ name, value: 'x' }] }) },
      ]),
      // image names
      ...[
        `${engine.registry.host}/Inject/Web`,
        `${engine.registry.host}/../etc/passwd`,
        `${engine.registry.host}/a/../b`,
        `${engine.registry.host}/web;id`,
        `${engine.registry.host}/web:v1`,
        `${engine.registry.host}/web@sha256:${'a'.repeat(64)}`,
        '-H tcp://evil/web',
        `${engine.registry.host}/web --privileged`,
      ].map((bad): [string, string, string, unknown] => [
        `image ${bad}`,
        'POST',
        '/projects/inject/stages',
        { name: 'image', config: stageConfig(bad, null) },
      ]),
      // host names
      ...[
        'a/b.test',
        'a b.test',
        'evil.test;id',
        'Upper.Test',
        '-x.test',
        'a..test',
        'x.test:80',
        '*.test',
      ].map((host): [string, string, string, unknown] => [
        `host ${host}`,
        'POST',
        '/projects/inject/stages',
        { name: 'host', config: stageConfig(image, host) },
      ]),
      // volumes: relative targets, colons (a Binds string would split on them), sources with traversal tricks
      ...[
        { source: '/srv/data', target: 'data' },
        { source: '/srv/data', target: '../data' },
        { source: '/srv/data', target: '/data:rw' },
        { source: '/srv/data:/etc', target: '/data' },
        { source: '../../etc', target: '/data' },
        { source: '/srv/data', target: '/' },
      ].map((volume): [string, string, string, unknown] => [
        `volume ${JSON.stringify(volume)}`,
        'POST',
        '/projects/inject/stages',
        { name: 'vol', config: stageConfig(image, null, { volumes: [volume] }) },
      ]),
      // argv elements with a NUL
      [
        'command NUL',
        'POST',
        '/projects/inject/stages',
        { name: 'cmd', config: stageConfig(image, null, { command: ['/bin/sh', '-c', 'id\u0000'] }) },
      ],
      // path parameters
      ['project param', 'GET', `/projects/${encodeURIComponent('a;id')}/stages`, undefined],
      ['stage param', 'GET', `/projects/inject/stages/${encodeURIComponent('$(id)')}`, undefined],
      ['deploy param', 'GET', `/deploys/${encodeURIComponent('../x')}`, undefined],
    ];
    const wrong: string[] = [];
    for (const [what, method, path, body] of refused) {
      const answer = await h.api(method, path, body);
      if (answer.status !== 400) wrong.push(`${what}: ${answer.status} ${JSON.stringify(answer.json)}`);
    }
    expect(wrong).toEqual([]);
    const projects = (await h.api('GET', '/projects')).json.map((p: { name: string }) => p.name);
    expect(projects.filter((n: string) => !['guard', 'promo', 'pattern', 'inject'].includes(n))).toEqual([]);
    const stages = (await h.api('GET', '/projects/inject/stages')).json.map((s: { name: string }) => s.name);
    expect(stages).toEqual(['production']);
    expect((await h.api('GET', '/projects/inject/stages/production/deploys')).json).toEqual([]);
    expect(await containerCount()).toBe(before);
  });

  it('refuses a public host another stage has with 409', async () => {
    await h.api('POST', '/projects', { name: 'dup' });
    const image = `${engine.registry.host}/dup/web`;
    expect(
      (await h.api('POST', '/projects/dup/stages', { name: 'one', config: stageConfig(image, 'dup.test') }))
        .status,
    ).toBe(201);
    const second = await h.api('POST', '/projects/dup/stages', {
      name: 'two',
      config: stageConfig(image, 'dup.test'),
    });
    expect(second.status, JSON.stringify(second.json)).toBe(409);
    // In another project too, and by a change of an existing stage.
    await h.api('POST', '/projects', { name: 'dup2' });
    const other = await h.api('POST', '/projects/dup2/stages', {
      name: 'one',
      config: stageConfig(image, 'dup.test'),
    });
    expect(other.status).toBe(409);
    const three = await h.api('POST', '/projects/dup/stages', {
      name: 'three',
      config: stageConfig(image, 'three.dup.test'),
    });
    expect(three.status).toBe(201);
    const moved = await h.api('PUT', '/projects/dup/stages/three', {
      revision: three.json.configRevision,
      config: { host: 'dup.test' },
    });
    expect(moved.status, JSON.stringify(moved.json)).toBe(409);
    expect((await h.api('GET', '/projects/dup/stages/three')).json.config.host).toBe('three.dup.test');
  });
});
