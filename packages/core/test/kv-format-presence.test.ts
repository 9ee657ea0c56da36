// On NATS KV, the store's record format (core_meta "format") against a real nats-server: recorded by the first
// replica, checked by the next, raised from an older one, and a newer one refused without a write; and the
// presence records a restore reads: written at start, renewed, deleted at stop, aged out after a crash.

import { type NatsServerInstance, startNatsServer, until } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../src/errors.js';
import { checkKvFormat, KV_FORMAT } from '../src/store/kv-format.js';
import { createJetStreamKv } from '../src/store/kv-jetstream.js';
import { livePresence, PRESENCE_TTL_MS, startPresence } from '../src/store/presence.js';

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
const log = pino({ level: 'silent' });

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await server?.stop();
});

async function store(module: string) {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return createJetStreamKv({ kvm: new Kvm(nc), module, replicas: 1 });
}

describe('KV record format', () => {
  it('is recorded by the first start and accepted by the next', async () => {
    const kv = await store('fmt1');
    expect(await checkKvFormat(kv, '1.0.0')).toBe(0);
    expect((await (await kv.bucket('meta')).get('format'))?.value).toEqual({
      format: KV_FORMAT,
      writtenBy: '1.0.0',
    });
    expect(await checkKvFormat(kv, '1.0.1')).toBe(KV_FORMAT);
  });

  it('refuses a store a newer Homeport wrote, in one line, and writes nothing', async () => {
    const kv = await store('fmt2');
    const meta = await kv.bucket('meta');
    const revision = await meta.put('format', { format: KV_FORMAT + 1, writtenBy: '9.0.0' });
    const refusal = checkKvFormat(kv, '1.0.0');
    await expect(refusal).rejects.toBeInstanceOf(CoreError);
    await expect(refusal).rejects.toMatchObject({
      code: 'database_newer',
      message: expect.stringMatching(/newer Homeport \(9\.0\.0\).*format 2.*knows up to 1/),
    });
    expect(String(await refusal.catch((error: Error) => error.message))).not.toContain('\n');
    expect((await meta.get('format'))?.revision).toBe(revision);
  });

  it('refuses a record it cannot read', async () => {
    const kv = await store('fmt3');
    await (await kv.bucket('meta')).put('format', { version: 'x' });
    await expect(checkKvFormat(kv, '1.0.0')).rejects.toMatchObject({ code: 'database_newer' });
  });

  it('raises an older format to its own', async () => {
    const kv = await store('fmt4');
    await (await kv.bucket('meta')).put('format', { format: 1, writtenBy: '0.9.0' });
    expect(await checkKvFormat(kv, '2.0.0', 2)).toBe(1);
    expect((await (await kv.bucket('meta')).get('format'))?.value).toEqual({ format: 2, writtenBy: '2.0.0' });
  });

  it('lets replicas starting together agree (one records, the others read it)', async () => {
    const replicas = await Promise.all([store('fmt5'), store('fmt5'), store('fmt5')]);
    const found = await Promise.all(replicas.map((kv, i) => checkKvFormat(kv, `1.0.${i}`)));
    expect(found.filter((format) => format === 0)).toHaveLength(1);
    expect(found.filter((format) => format === KV_FORMAT)).toHaveLength(2);
  });
});

describe('presence', () => {
  const record = (holder: string) => ({
    holder,
    hostname: 'host-a',
    pid: 1234,
    version: '1.0.0',
    startedAt: new Date().toISOString(),
  });

  it('shows a running replica, and not once it stopped', async () => {
    const kv = await store('pres1');
    const a = startPresence({ kv, record: record('a'), clock: Date.now, log });
    const b = startPresence({ kv, record: record('b'), clock: Date.now, log });
    await until(async () => (await livePresence(kv, Date.now())).length === 2, 10_000);
    expect((await livePresence(kv, Date.now())).map((entry) => entry.holder).sort()).toEqual(['a', 'b']);
    await a.stop();
    expect((await livePresence(kv, Date.now())).map((entry) => entry.holder)).toEqual(['b']);
    await b.stop();
    expect(await livePresence(kv, Date.now())).toEqual([]);
  });

  it('does not count a record older than the TTL (a replica that crashed)', async () => {
    const kv = await store('pres2');
    const at = Date.now() - PRESENCE_TTL_MS - 1000;
    const crashed = startPresence({ kv, record: record('gone'), clock: () => at, log });
    await until(async () => (await (await kv.bucket('presence')).keys()).length === 1, 10_000);
    expect(await livePresence(kv, Date.now())).toEqual([]);
    await crashed.stop();
  });
});
