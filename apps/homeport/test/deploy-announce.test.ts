// Deploy announcements in a bus room: the composition root wires the deploy module's announce hook to the
// bus gateway, so a finished deploy is a message in HOMEPORT_DEPLOY_ROOM posted as HOMEPORT_DEPLOY_ROOM_AS.
// Docker is an address that answers nothing: a deploy then fails at once (the registry is unreachable too),
// which is a finished deploy like any other, and needs no engine.

import { until } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildApp, newDataDir, type TestApp } from './support/app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const env = { HOMEPORT_DOCKER_HOST: 'tcp://127.0.0.1:9', HOMEPORT_PROXY_PORT: '0', HOMEPORT_PORT: '0' };

describe('deploy announcements in a bus room', () => {
  it('posts how a deploy ended into the room, as the configured account', async () => {
    const dataDir = newDataDir();
    t = await buildApp({ dataDir, env, withBus: true });
    await t.homeport.listen();
    let admin = await t.login();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bus/gateway/rooms',
      headers: bearer(admin),
      payload: { name: 'deploys' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const roomId = created.json<{ id: string }>().id;
    await t.close();

    t = await buildApp({
      dataDir,
      env: { ...env, HOMEPORT_DEPLOY_ROOM: roomId, HOMEPORT_DEPLOY_ROOM_AS: 'admin' },
      withBus: true,
    });
    await t.homeport.listen();
    admin = await t.login();
    const call = (method: string, url: string, payload?: unknown) =>
      t?.app.inject({
        method: method as 'POST',
        url: `/api/v1/deploy${url}`,
        headers: bearer(admin),
        ...(payload ? { payload } : {}),
      });
    expect((await call('POST', '/projects', { name: 'shop' }))?.statusCode).toBe(201);
    expect(
      (
        await call('POST', '/projects/shop/stages', {
          name: 'production',
          config: { image: '127.0.0.1:9/shop/web' },
        })
      )?.statusCode,
    ).toBe(201);
    expect((await call('POST', '/projects/shop/stages/production/deploys', { tag: 'v1' }))?.statusCode).toBe(
      202,
    );

    let bodies: string[] = [];
    await until(async () => {
      const page = await t?.app.inject({
        url: `/api/v1/bus/gateway/rooms/${roomId}/messages?limit=10`,
        headers: bearer(admin),
      });
      bodies = (page?.json<{ body: string }[]>() ?? []).map((m) => m.body);
      return bodies.length > 0;
    }, 20_000);
    expect(bodies).toEqual([
      expect.stringMatching(/^shop\/production: deploy #1 v1 FAILED at resolve: .+ \[manual\]$/),
    ]);
  }, 60_000);
});
