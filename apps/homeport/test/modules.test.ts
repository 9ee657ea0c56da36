// The module registry: which modules run (requirements, --modules), one line per module that does not, the
// order of init → routes → start, routes in an encapsulated plugin under the module's prefix, and a
// module's api reachable by its typed key.

import { ConfigError, type Module, moduleKey, selectModules, Type } from '@homeport/core';
import { NAS } from '@homeport/nas';
import { startNatsServer } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';

import { buildApp, type TestApp } from './support/app.js';

const fake = <Api = unknown>(name: string, extra: Partial<Module<Api>> = {}): Module<Api> => ({
  name,
  description: `the ${name} module`,
  migrations: [],
  ...extra,
});
const absent = async () => ({ met: false as const, reason: 'needs Docker: no /var/run/docker.sock' });
const present = async () => ({ met: true as const });

describe('selecting modules', () => {
  it('runs every module whose requirements are met, and says why each other one is off', async () => {
    const catalogue = [
      fake('nas'),
      fake('deploy', { requires: ['docker'] }),
      fake('bus', { requires: ['nats'] }),
    ];
    const { on, off } = await selectModules('accounts', catalogue, undefined, {
      docker: absent,
      nats: present,
    });
    expect(on.map((module) => module.name)).toEqual(['nas', 'bus']);
    expect(off).toEqual([{ name: 'deploy', reason: 'needs Docker: no /var/run/docker.sock' }]);
  });

  it('with --modules runs exactly those; an unmet requirement or an unknown name is a configuration error', async () => {
    const catalogue = [fake('nas'), fake('deploy', { requires: ['docker'] })];
    const picked = await selectModules('accounts', catalogue, ['accounts'], { docker: present });
    expect(picked.on).toEqual([]);
    expect(picked.off.map((item) => [item.name, item.reason])).toEqual([
      ['nas', 'not in --modules (HOMEPORT_MODULES)'],
      ['deploy', 'not in --modules (HOMEPORT_MODULES)'],
    ]);
    await expect(selectModules('accounts', catalogue, ['deploy'], { docker: absent })).rejects.toThrow(
      /--modules: deploy needs Docker/,
    );
    await expect(selectModules('accounts', catalogue, ['nas', 'nope'])).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('the composition root', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('inits each module before its routes, registers them under its prefix, encapsulated, and starts it on listen', async () => {
    const steps: string[] = [];
    const WIDGETS = moduleKey<{ count: () => number }>('widgets');
    let count = 0;
    const widgets = fake<{ count: () => number }>('widgets', {
      prefix: '/api/v1/widgets',
      async init() {
        steps.push('init');
      },
      routes(app) {
        steps.push('routes');
        // A hook inside the module's plugin must not run for other modules' routes.
        app.addHook('onRequest', async (_request, reply) => {
          reply.header('x-widgets', 'yes');
        });
        app.get(
          '/count',
          { schema: { response: { 200: Type.Object({ count: Type.Integer() }) } } },
          async () => ({
            count: ++count,
          }),
        );
      },
      async start(ctx) {
        steps.push(`start ${ctx.serverUrl.startsWith('http://127.0.0.1:')}`);
      },
      api: () => ({ count: () => count }),
    });
    t = await buildApp({ catalogue: [widgets], env: { HOMEPORT_PORT: '0' } });
    expect(steps).toEqual(['init', 'routes']);
    const answer = await t.app.inject({ url: '/api/v1/widgets/count' });
    expect(answer.json()).toEqual({ count: 1 });
    expect(answer.headers['x-widgets']).toBe('yes');
    expect((await t.app.inject({ url: '/api/v1/auth/config' })).headers['x-widgets']).toBeUndefined();
    expect(t.homeport.module(WIDGETS)?.count()).toBe(1);
    // The NAS module is not in this catalogue: it does not run, and its key finds nothing.
    expect(t.homeport.module(NAS)).toBeUndefined();
    expect(() => t?.homeport.requireModule(NAS)).toThrow(/nas does not run/);
    await t.homeport.listen();
    expect(steps).toEqual(['init', 'routes', 'start true']);
  });

  it('lists the modules left out by HOMEPORT_MODULES, and their routes are not there', async () => {
    t = await buildApp({ env: { HOMEPORT_MODULES: 'accounts' } });
    expect(t.homeport.modules.map((module) => module.name)).toEqual(['accounts']);
    expect(t.homeport.modulesOff).toEqual([
      { name: 'nas', reason: 'not in --modules (HOMEPORT_MODULES)' },
      { name: 'deploy', reason: 'not in --modules (HOMEPORT_MODULES)' },
    ]);
    expect((await t.app.inject({ url: '/api/v1/exports' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/deploy/projects' })).statusCode).toBe(404);
  });

  it('a module that requires NATS is off without it (with how to get it) and gets the connection with it', async () => {
    const seen: string[] = [];
    const relay = () =>
      fake('relay', {
        requires: ['nats'],
        async init(ctx) {
          seen.push(ctx.nats ? 'nats' : 'none');
        },
      });
    t = await buildApp({
      catalogue: [relay()],
      env: { HOMEPORT_NATS_MANAGED: 'off' },
    });
    expect(t.homeport.modulesOff).toEqual([
      { name: 'relay', reason: expect.stringContaining('HOMEPORT_NATS_URL') },
    ]);
    await t.close();
    const server = await startNatsServer();
    try {
      t = await buildApp({ catalogue: [relay()], env: { HOMEPORT_NATS_URL: server.url } });
      expect(t.homeport.modules.map((module) => module.name)).toEqual(['accounts', 'relay']);
      expect(seen).toEqual(['nats']);
      await t.close();
      t = undefined;
    } finally {
      await server.stop();
    }
  });
});
