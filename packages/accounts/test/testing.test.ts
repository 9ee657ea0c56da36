// The test-context builder (@homeport/accounts/testing): accounts plus the modules under test, composed by
// core, on SQLite or on JetStream KV — what every package's HTTP tests stand on.

import { buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import type { Module, StoreDriver } from '@homeport/core';
import { startNatsServer } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let t: TestHomeport | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A module that notes which store driver it was given. */
const probe = (seen: StoreDriver['kind'][]): Module => ({
  name: 'probe',
  description: 'the probe module',
  migrations: [],
  async init(ctx) {
    seen.push(ctx.store.kind);
  },
});

describe('buildTestHomeport', () => {
  it('composes accounts and the given modules only, with the first admin able to sign in', async () => {
    const seen: StoreDriver['kind'][] = [];
    t = await buildTestHomeport({ modules: [probe(seen)] });
    expect(t.homeport.modules.map((module) => module.name)).toEqual(['accounts', 'probe']);
    expect(t.homeport.store).toBe('sqlite');
    expect(seen).toEqual(['sqlite']);
    const token = await t.login();
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ username: 'admin', role: 'admin' });
    // No module of the app came along: the NAS routes are not there.
    expect((await t.app.inject({ url: '/api/v1/exports' })).statusCode).toBe(404);
    expect(t.logs.length).toBeGreaterThan(0);
  });

  it('runs on JetStream KV: two builders on one nats-server are two replicas of one Homeport', async () => {
    const server = await startNatsServer();
    let other: TestHomeport | undefined;
    try {
      const seen: StoreDriver['kind'][] = [];
      t = await buildTestHomeport({ modules: [probe(seen)], store: 'kv', natsUrl: server.url });
      other = await buildTestHomeport({ store: 'kv', natsUrl: server.url });
      expect(t.homeport.store).toBe('kv');
      expect(seen).toEqual(['kv']);
      const token = await t.login();
      const me = await other.app.inject({
        url: '/api/v1/auth/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.statusCode).toBe(200);
    } finally {
      await other?.close();
      await t?.close();
      t = undefined;
      await server.stop();
    }
  });

  it("refuses store: 'kv' without a nats-server to keep it in", async () => {
    await expect(buildTestHomeport({ store: 'kv' })).rejects.toThrow(/needs natsUrl/);
  });
});
