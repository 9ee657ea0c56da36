// `homeport backup` on the NATS KV store (HOMEPORT_STORE=kv) against a real nats-server, through the binary:
// create while Homeport runs, refuse a restore while it runs, stop, wipe every bucket and the data dir,
// restore, start again: every user, session, export, grant and setting is back. And what a KV restore
// refuses before it writes anything: another secret key, a store that holds state without --force, a
// SQLite data dir; --force keeps an archive of what it replaces. The KV format check refuses a newer store.

import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  freePort,
  type HomeportInstance,
  type NatsServerInstance,
  startHomeport,
  startNatsServer,
  tempDir,
} from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, expectRestored, readState, runHomeport, seedState } from './support/backup-scenario.js';

const SECRET_KEY = 'the-kv-backup-secret-key-0123456789abcdef';
let server: NatsServerInstance;
let nc: NatsConnection;
let running: HomeportInstance | undefined;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});
afterEach(async () => {
  await running?.process.stop();
  running = undefined;
});

const kvEnv = (secretKey = SECRET_KEY) => ({
  HOMEPORT_STORE: 'kv',
  HOMEPORT_NATS_URL: server.url,
  HOMEPORT_SECRET_KEY: secretKey,
});

const homeport = (args: string[], env: Record<string, string> = kvEnv()) => runHomeport(args, env);

const start = async (dataDir: string) =>
  startHomeport({ dataDir, env: { ...kvEnv(), HOMEPORT_DAV_PORT: String(await freePort()) } });

/** The KV buckets on the server (stream names without `KV_`). */
async function buckets(): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const names: string[] = [];
  for await (const info of jsm.streams.list()) {
    if (info.config.name.startsWith('KV_')) names.push(info.config.name.slice(3));
  }
  return names.sort();
}

/** Every bucket deleted: the store as a new cluster has it. */
async function wipeStore(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const bucket of await buckets()) await jsm.streams.delete(`KV_${bucket}`);
}

const manifestOf = (archive: string) => {
  const tar = gunzipSync(readFileSync(archive));
  // The manifest is the first entry: a 512-byte header, then its JSON.
  const size = Number.parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  return JSON.parse(tar.subarray(512, 512 + size).toString('utf8'));
};

describe('homeport backup on NATS KV', () => {
  it('create while running → wipe → restore: users, sessions, exports, grants and settings are back', async () => {
    await wipeStore();
    const dataDir = join(tempDir('homeport-kv-backup-'), 'data');
    running = await start(dataDir);
    const seeded = await seedState(running);
    const { admin } = seeded;
    const before = await readState(running, seeded);

    const archive = join(tempDir('homeport-kv-backup-out-'), 'backup.tar.gz');
    const created = await homeport(['backup', 'create', '--data-dir', dataDir, '--to', archive]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const manifest = manifestOf(archive);
    expect(manifest).toMatchObject({ format: 'homeport-backup', store: 'kv', kv: { format: 1 } });
    const archived = manifest.kv.buckets.map((bucket: { bucket: string }) => bucket.bucket);
    expect(archived).toEqual(expect.arrayContaining(['accounts_records', 'core_secrets', 'core_meta']));
    // What only matters while replicas run stays out; the key itself is never in the archive.
    expect(archived.filter((name: string) => /^core_(presence|ratelimit|quorum)/.test(name))).toEqual([]);
    expect(readFileSync(archive).includes(Buffer.from(SECRET_KEY))).toBe(false);
    expect(gunzipSync(readFileSync(archive)).includes(Buffer.from(SECRET_KEY))).toBe(false);
    expect(created.stdout).toMatch(/bucket accounts_records {2}\d+ entries/);

    // A replica runs on the store: a restore is refused, even with --force, from this data dir or another
    // machine's (another data dir).
    const elsewhere = await homeport([
      'backup',
      'restore',
      archive,
      '--data-dir',
      tempDir('homeport-kv-other-'),
      '--force',
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr.trim()).toMatch(
      /^homeport: Homeport runs on this store \(.+ pid \d+, .+\); stop every replica first$/,
    );
    const busy = await homeport(['backup', 'restore', archive, '--data-dir', dataDir, '--force']);
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toMatch(
      /^homeport: Homeport runs on this store \(.+ pid \d+, .+\); stop every replica first$/,
    );

    await running.process.stop();
    running = undefined;
    // The replica that stopped deleted its presence record: nothing is left to wait out.
    await wipeStore();
    rmSync(dataDir, { recursive: true, force: true });
    expect(await buckets()).toEqual([]);

    const restored = await homeport(['backup', 'restore', archive, '--data-dir', dataDir]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('every checksum matched');
    expect(await buckets()).toEqual(expect.arrayContaining(archived));
    expect(existsSync(join(dataDir, 'agent', 'agent.json'))).toBe(true);

    running = await start(dataDir);
    await expectRestored(running, seeded, before);
    await running.process.stop();
    running = undefined;

    // Another secret key could not open core_secrets: refused before anything is read or written.
    const otherKey = await homeport(
      ['backup', 'restore', archive, '--data-dir', dataDir, '--force'],
      kvEnv('another-secret-key-0123456789abcdef-xyz'),
    );
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr.trim()).toBe(
      'homeport: HOMEPORT_SECRET_KEY is not the key this backup was taken with: the secrets in it (core_secrets) could not be opened; restore with the same key',
    );

    // A store that holds state needs --force, which first keeps an archive of it.
    const occupied = await homeport(['backup', 'restore', archive, '--data-dir', dataDir]);
    expect(occupied.code).toBe(1);
    expect(occupied.stderr).toMatch(
      /the NATS KV store already holds Homeport's state \(\d+ buckets: .*accounts_records/,
    );
    // A user made after the backup: the forced restore takes the store back to the archive, without it.
    running = await start(dataDir);
    expect(
      (
        await api(running, '/api/v1/users', admin, 'POST', {
          username: 'late',
          password: 'late-password-1234',
          role: 'member',
        })
      ).status,
    ).toBe(201);
    await running.process.stop();
    running = undefined;
    const forced = await homeport(['backup', 'restore', archive, '--data-dir', dataDir, '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const aside = /what was there before is in (\S+)/.exec(forced.stdout)?.[1] ?? '';
    expect(aside).toMatch(/replaced-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(manifestOf(aside)).toMatchObject({ store: 'kv' });
    running = await start(dataDir);
    const { body } = await api<{ users: { username: string }[] }>(running, '/api/v1/users', admin);
    expect(body?.users.map((user) => user.username).sort()).toEqual(['admin', 'mia']);
  }, 240_000);

  it('refuses a KV archive on a SQLite Homeport and the other way round', async () => {
    const dataDir = join(tempDir('homeport-kv-backup-'), 'data');
    const kvArchive = join(tempDir('homeport-kv-backup-out-'), 'kv.tar.gz');
    expect((await homeport(['backup', 'create', '--data-dir', dataDir, '--to', kvArchive])).code).toBe(0);
    const onSqlite = await homeport(['backup', 'restore', kvArchive, '--data-dir', dataDir], {});
    expect(onSqlite.code).toBe(1);
    expect(onSqlite.stderr.trim()).toBe(
      'homeport: the archive is of a Homeport on NATS KV, and this one is set to SQLite (HOMEPORT_STORE); restore it with the store it was taken from',
    );

    const sqliteDir = join(tempDir('homeport-sqlite-backup-'), 'data');
    expect((await homeport(['user', 'list', '--data-dir', sqliteDir], {})).code).toBe(0);
    const sqliteArchive = join(tempDir('homeport-kv-backup-out-'), 'sqlite.tar.gz');
    expect(
      (await homeport(['backup', 'create', '--data-dir', sqliteDir, '--to', sqliteArchive], {})).code,
    ).toBe(0);
    const onKv = await homeport(['backup', 'restore', sqliteArchive, '--data-dir', dataDir, '--force']);
    expect(onKv.code).toBe(1);
    expect(onKv.stderr.trim()).toBe(
      'homeport: the archive is of a Homeport on SQLite, and this one is set to NATS KV (HOMEPORT_STORE); restore it with the store it was taken from',
    );
  }, 120_000);

  it('refuses to start, in one line, on a store a newer Homeport wrote, and changes nothing', async () => {
    const kvm = new Kvm(nc);
    const meta = await kvm.create('core_meta', { history: 1 });
    await meta.put('format', JSON.stringify({ format: 99, writtenBy: '9.9.9' }));
    const revision = (await meta.get('format'))?.revision;
    const dataDir = tempDir('homeport-kv-newer-');
    const run = await homeport(['start', '--port', '0', '--data-dir', dataDir], {
      ...kvEnv(),
      HOMEPORT_DAV_PORT: String(await freePort()),
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'homeport: The NATS KV store was written by a newer Homeport (9.9.9): its records are at format 99, this binary knows up to 1. Run the newer version, or restore the backup taken before the upgrade (docs/operations.md, "Rolling back").',
    ]);
    expect((await meta.get('format'))?.revision).toBe(revision);
    await meta.delete('format');
  }, 60_000);
});
