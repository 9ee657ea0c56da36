// Generated secrets every replica agrees on: on KV the first replica's value wins and the others read it,
// sealed with the secret key (never plaintext in the store, bound to its name), and a replica given another
// secret key is told so instead of silently making its own.

import { type NatsServerInstance, startNatsServer, tempDir } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJetStreamKv } from '../src/store/kv-jetstream.js';
import { fileVault, kvVault } from '../src/store/secret-vault.js';

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await server?.stop();
});

async function kv() {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return createJetStreamKv({ kvm: new Kvm(nc), module: 'core', replicas: 1 });
}

const KEY = 'a-secret-key-of-the-cluster-0123456789';

describe('the secret vault', () => {
  it('gives every replica the same generated secret, sealed in the store', async () => {
    const [a, b] = [kvVault(await kv(), KEY), kvVault(await kv(), KEY)];
    let made = 0;
    const generate = () => `secret-${++made}-${Math.random()}`;
    const [fromA, fromB] = await Promise.all([
      a.get('node-bootstrap-token', generate),
      b.get('node-bootstrap-token', generate),
    ]);
    expect(fromA).toBe(fromB);
    expect(await b.get('node-bootstrap-token', generate)).toBe(fromA);
    const stored = await (await (await kv()).bucket('secrets')).get<Record<string, string>>(
      'node-bootstrap-token',
    );
    expect(JSON.stringify(stored?.value)).not.toContain(fromA);
    expect(Object.keys(stored?.value ?? {}).sort()).toEqual(['data', 'iv', 'tag']);
  });

  it('refuses to open with another secret key, or under another name', async () => {
    const store = await kv();
    await kvVault(store, KEY).get('dav-auth-secret', () => 'the-dav-root');
    await expect(
      kvVault(store, 'another-key-entirely-0123456789').get('dav-auth-secret', () => 'x'),
    ).rejects.toThrow(/does not open with this HOMEPORT_SECRET_KEY/);
    const bucket = await store.bucket('secrets');
    const sealed = await bucket.get('dav-auth-secret');
    await bucket.put('moved-secret', sealed?.value);
    await expect(kvVault(store, KEY).get('moved-secret', () => 'x')).rejects.toThrow(/does not open/);
  });

  it('keeps secrets in the data dir on one machine', async () => {
    const dir = tempDir('homeport-vault-');
    const first = await fileVault(dir).get('node-bootstrap-token', () => 'made-once');
    expect(await fileVault(dir).get('node-bootstrap-token', () => 'made-twice')).toBe(first);
  });
});
