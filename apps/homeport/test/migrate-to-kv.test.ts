// `homeport migrate to-kv` against a real nats-server, on a SQLite Homeport filled through its API: refusals
// write nothing; the built command copies every record and secret after a backup that reopens identical, and
// its parity check passes; a second run finds everything unchanged; a change on SQLite is carried over; a
// Homeport on KV then serves the copy (same sessions, API token, sign-in, exports, grants, credentials, node
// token and bootstrap token); a difference the copy cannot undo fails the parity check with its first line.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createKvAccountsStore, createSqliteAccountsStore } from '@homeport/accounts';
import { Config, createJetStreamKv, createLogger, openNats } from '@homeport/core';
import { NAS } from '@homeport/nas';
import { exportInput, nasHarness } from '@homeport/nas/testing';
import { HOMEPORT_BUNDLE, type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToKv } from '../src/migrate/to-kv.js';
import { homeportModuleSchemas, toKvOptions } from '../src/migrate/to-kv-options.js';
import { ADMIN_PASSWORD, bearer, buildApp, newDataDir, type TestApp } from './support/app.js';
import { dumpDatabase } from './support/sqlite-dump.js';

const SECRET_KEY = 'the-cluster-secret-key-0123456789abcdef';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built command, with only PATH and what `env` adds in its environment. */
function homeport(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let server: NatsServerInstance;
let dataDir: string;
let database: string;
let before: Record<string, string[]>;
let sqlite: TestApp | undefined;
let kv: TestApp | undefined;

/** What the SQLite Homeport was given, to find again on KV. */
const made = {
  admin: '',
  mia: { id: '', session: '' },
  apiToken: '',
  bootstrapToken: '',
  node: { id: '', token: '' },
  exports: [] as { id: string; label: string; path: string }[],
  revoked: '',
  active: '',
  share: { id: '', secret: '' },
};

/** The records each kind should hold (the copy's counts). */
const EXPECTED: Record<string, number> = {
  'accounts users': 2,
  'accounts sessions': 2,
  'accounts api tokens': 1,
  'accounts oidc identities': 1,
  'accounts oidc sessions': 1,
  'accounts login attempts': 1,
  'accounts auth settings': 1,
  'nas nodes': 1,
  'nas exports': 2,
  'nas grants': 1,
  'nas credentials': 3,
  'nas revocation counter': 1,
  'nas share links': 1,
  'nas settings': 1,
  'nas managed exports': 0,
};

/** The generated secrets the SQLite Homeport wrote (its own accounts key material is never copied). */
const secretFiles = () => readdirSync(join(dataDir, 'secrets')).filter((name) => name !== 'secret-key');

const migrate = (args: string[], env: Record<string, string> = { HOMEPORT_SECRET_KEY: SECRET_KEY }) =>
  homeport(['migrate', 'to-kv', '--db', database, ...args], env);

/** Streams on the server (KV buckets are streams): none means the migration wrote nothing there. */
async function streamCount(): Promise<number> {
  const response = await fetch(`${server.monitorUrl}/jsz`);
  return ((await response.json()) as { streams: number }).streams;
}

async function fillSqliteHomeport(t: TestApp): Promise<void> {
  const nas = nasHarness(() => t);
  made.admin = await t.login();
  const mia = await nas.member(made.admin);
  made.mia = { id: mia.id, session: mia.token };
  const token = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/tokens',
    headers: bearer(made.admin),
    payload: { name: 'backup script' },
  });
  expect(token.statusCode).toBe(201);
  made.apiToken = token.json<{ value: string }>().value;

  made.bootstrapToken = t.homeport.requireModule(NAS).bootstrapToken;
  const registered = await nas.register(made.bootstrapToken, 'machine-1');
  expect(registered.response.statusCode).toBe(200);
  made.node = { id: registered.node.id, token: registered.nodeToken };
  const synced = await nas.sync(made.node.id, made.node.token, [
    exportInput('/srv/photos', 'Photos'),
    exportInput('/srv/media', 'Media'),
  ]);
  expect(synced.statusCode).toBe(200);
  made.exports = synced.json();
  const [photos, media] = made.exports as [(typeof made.exports)[0], (typeof made.exports)[0]];
  expect((await nas.heartbeat(made.node.id, made.node.token)).statusCode).toBe(204);
  const granted = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/exports/${photos.id}/grants/mia`,
    headers: bearer(made.admin),
    payload: { access: 'read-write' },
  });
  expect(granted.statusCode).toBe(200);
  const settings = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/nas/settings',
    headers: bearer(made.admin),
    payload: { defaultAccess: 'read-only' },
  });
  expect(settings.statusCode).toBe(200);
  const auth = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/auth/settings',
    headers: bearer(made.admin),
    payload: { registrationEnabled: true },
  });
  expect(auth.statusCode).toBe(200);

  const credential = async (token: string, exportId: string) => {
    const issued = await nas.issue(token, exportId);
    expect(issued.statusCode).toBe(200);
    return issued.json<{ credential: { username: string } }>().credential.username;
  };
  made.active = await credential(made.admin, photos.id);
  made.revoked = await credential(made.admin, media.id);
  await credential(made.mia.session, photos.id);
  expect((await nas.revokeOne(made.admin, made.revoked)).statusCode).toBe(200);
  const share = await t.app.inject({
    method: 'POST',
    url: `/api/v1/exports/${photos.id}/shares`,
    headers: bearer(made.mia.session),
    payload: { path: '/Holidays', kind: 'folder', mode: 'view', password: 'share-password' },
  });
  expect(share.statusCode).toBe(201);
  const link = share.json<{ share: { id: string }; url: string }>();
  made.share = { id: link.share.id, secret: link.url.split('#')[1] ?? '' };

  // OIDC records need a provider to come through the API; written through the same repositories instead.
  const store = createSqliteAccountsStore(t.homeport.sqlite());
  const now = new Date().toISOString();
  await store.identities.create({
    id: 'idn_mia',
    userId: mia.id,
    issuer: 'https://idp.example/realms/home',
    subject: 'mia-subject',
    displayName: 'Mia',
    email: 'mia@example.org',
    emailVerified: true,
    groups: ['family'],
    createdAt: now,
    lastLoginAt: now,
  });
  const [miaSession] = await store.sessions.listForUser(mia.id);
  await store.oidcSessions.create({
    sessionId: miaSession?.id ?? '',
    identityId: 'idn_mia',
    idToken: 'v1.sealed-id-token',
  });
  await store.loginAttempts.create({
    stateHash: 'a'.repeat(64),
    bindingHash: 'b'.repeat(64),
    codeVerifier: 'verifier',
    nonce: 'nonce',
    issuer: 'https://idp.example/realms/home',
    intent: 'login',
    userId: null,
    returnTo: '/nas',
    expiresAt: Date.now() + 3_600_000,
  });
}

beforeAll(async () => {
  server = await startNatsServer();
  dataDir = newDataDir();
  database = join(dataDir, 'homeport.db');
  sqlite = await buildApp({ dataDir });
  await fillSqliteHomeport(sqlite);
  // Homeport is stopped before it moves.
  await sqlite.close();
  sqlite = undefined;
  before = dumpDatabase(database);
});

afterAll(async () => {
  await sqlite?.close();
  await kv?.close();
  await server?.stop();
});

describe('homeport migrate to-kv', () => {
  it('refuses a plaintext URL to another machine, no secret key, a missing database and replicas on nats-server 2.9.10, writing nothing', async () => {
    const plaintext = await homeport(
      ['migrate', 'to-kv', '--db', database, '--nats-url', 'nats://192.0.2.10:4222'],
      { HOMEPORT_SECRET_KEY: SECRET_KEY },
    );
    expect(plaintext.code).not.toBe(0);
    expect(plaintext.stderr).toMatch(/refusing plaintext NATS to a non-loopback host/);

    const noKey = await migrate(['--nats-url', server.url], {});
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/a secret key is required/);

    const missing = await homeport(
      ['migrate', 'to-kv', '--db', join(dataDir, 'nothing-here.db'), '--nats-url', server.url],
      { HOMEPORT_SECRET_KEY: SECRET_KEY },
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nothing-here\.db not found/);

    const replicated = await migrate(['--nats-url', server.url, '--replicas', '3']);
    expect(replicated.code).not.toBe(0);
    expect(replicated.stderr).toMatch(/--replicas 3 needs nats-server 2\.9\.21 or later.*nats-server#4320/);

    expect(existsSync(join(dataDir, 'backups'))).toBe(false);
    expect(dumpDatabase(database)).toEqual(before);
    expect(await streamCount()).toBe(0);
  });

  let backup = '';

  it('copies every record and generated secret after a backup, and the parity check passes (the built command)', async () => {
    const run = await migrate(['--nats-url', server.url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.parity).toMatchObject({ ok: true, difference: null });
    const copied = Object.fromEntries(
      report.kinds.map((kind: { module: string; kind: string; copied: number }) => [
        `${kind.module} ${kind.kind}`,
        kind.copied,
      ]),
    );
    expect(copied).toEqual({ ...EXPECTED, 'core secrets': secretFiles().length });
    expect(secretFiles()).toEqual(expect.arrayContaining(['dav-auth-secret', 'node-bootstrap-token']));
    // Progress on stderr (stdout holds the JSON), one line per kind.
    expect(run.stderr).toContain('accounts users: 2 copied, 0 unchanged');
    expect(run.stderr).toContain('nas credentials: 3 copied, 0 unchanged');

    backup = report.backup;
    expect(backup).toMatch(/\/backups\/homeport-before-kv-\d{8}T\d{6}Z\.db$/);
    expect(run.stderr).toContain(`backup: ${backup}`);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    // The database was only read.
    expect(dumpDatabase(database)).toEqual(before);
  });

  it('leaves a backup that reopens identical to the database (every table, every row)', () => {
    const copy = dumpDatabase(backup);
    expect(Object.keys(copy).length).toBeGreaterThan(5);
    expect(copy.users).toHaveLength(2);
    expect(copy).toEqual(before);
  });

  it('converges: a second run finds every record unchanged', async () => {
    const report = await migrateToKv({
      ...toKvOptions(
        { db: database, natsUrl: server.url, backup: false },
        { HOMEPORT_SECRET_KEY: SECRET_KEY },
      ),
      schemas: homeportModuleSchemas(),
      log: createLogger({ level: 'error' }),
    });
    expect(report.parity).toMatchObject({ ok: true, difference: null });
    expect(report.backup).toBeNull();
    for (const kind of report.kinds) {
      const name = `${kind.module} ${kind.kind}`;
      expect(kind, name).toMatchObject({ copied: 0, updated: 0, removed: 0, unresolved: 0 });
      expect(kind.unchanged, name).toBe(EXPECTED[name] ?? secretFiles().length);
    }
  });

  it('carries over a change made on SQLite since, without a new backup (--no-backup)', async () => {
    sqlite = await buildApp({ dataDir });
    const nas = nasHarness(() => sqlite as TestApp);
    const promoted = await sqlite.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${made.mia.id}`,
      headers: bearer(made.admin),
      payload: { role: 'admin' },
    });
    expect(promoted.statusCode).toBe(200);
    expect((await nas.revokeOne(made.admin, made.active)).statusCode).toBe(200);
    await sqlite.close();
    sqlite = undefined;

    const run = await migrate(['--nats-url', server.url, '--no-backup']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('accounts users: 0 copied, 1 updated, 1 unchanged');
    expect(run.stdout).toContain('nas credentials: 0 copied, 1 updated, 2 unchanged');
    expect(run.stdout).toMatch(
      /parity: SQLite and KV hold the same records \(accounts \d+, nas \d+, core \d+\)/,
    );
    expect(run.stdout).not.toContain('backup:');
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([backup.split('/').pop()]);
  });

  it('gives a Homeport on KV the same sessions, API token, passwords, exports, grants, credentials and secrets', async () => {
    kv = await buildApp({
      dataDir: newDataDir(),
      env: { HOMEPORT_STORE: 'kv', HOMEPORT_NATS_URL: server.url, HOMEPORT_SECRET_KEY: SECRET_KEY },
    });
    const app = kv.app;
    const me = async (credential: string) => {
      const response = await app.inject({ url: '/api/v1/auth/me', headers: bearer(credential) });
      return { status: response.statusCode, body: response.json() };
    };
    expect(await me(made.admin)).toMatchObject({ status: 200, body: { username: 'admin' } });
    expect(await me(made.mia.session)).toMatchObject({
      status: 200,
      body: { username: 'mia', role: 'admin' },
    });
    expect(await me(made.apiToken)).toMatchObject({ status: 200, body: { username: 'admin' } });
    await kv.login('admin', ADMIN_PASSWORD);
    await kv.login('mia', 'member-password');

    const exports = await app.inject({ url: '/api/v1/exports', headers: bearer(made.admin) });
    expect(
      exports
        .json<{ id: string; label: string; path: string }[]>()
        .map(({ id, label, path }) => ({ id, label, path }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    ).toEqual(
      made.exports
        .map(({ id, label, path }) => ({ id, label, path }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    );
    const photos = made.exports.find((record) => record.label === 'Photos');
    const grants = await app.inject({
      url: `/api/v1/exports/${photos?.id}/grants`,
      headers: bearer(made.admin),
    });
    expect(grants.json().grants).toEqual([
      expect.objectContaining({ userId: made.mia.id, access: 'read-write' }),
    ]);
    const settings = await app.inject({ url: '/api/v1/nas/settings', headers: bearer(made.admin) });
    expect(settings.json()).toMatchObject({ defaultAccess: 'read-only' });
    expect((await app.inject({ url: '/api/v1/auth/config' })).json()).toMatchObject({
      registrationEnabled: true,
    });

    // Mia's credential is active; the admin's two are revoked, and the node (its own token copied) is told so.
    const mine = await app.inject({
      url: '/api/v1/mount-credentials/mine',
      headers: bearer(made.mia.session),
    });
    expect(mine.json().credentials).toEqual([expect.objectContaining({ exportId: photos?.id })]);
    const revocations = await app.inject({
      url: `/api/v1/nodes/${made.node.id}/revocations`,
      headers: bearer(made.node.token),
    });
    expect(revocations.statusCode).toBe(200);
    expect(revocations.json()).toEqual({ version: 2, ids: [made.active, made.revoked].sort() });
    // The share link opens with the same secret and password (their hashes were copied).
    expect((await nasHarness(() => kv as TestApp).heartbeat(made.node.id, made.node.token)).statusCode).toBe(
      204,
    );
    const open = (password: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/public/shares/${made.share.id}/open`,
        payload: { secret: made.share.secret, password },
      });
    expect((await open('not-the-password')).statusCode).toBe(401);
    expect((await open('share-password')).statusCode).toBe(200);

    expect(kv.homeport.requireModule(NAS).bootstrapToken).toBe(made.bootstrapToken);
    const joined = await nasHarness(() => kv as TestApp).register(made.bootstrapToken, 'machine-2');
    expect(joined.response.statusCode).toBe(200);
    await kv.close();
    kv = undefined;
  });

  it('fails the parity check with the first difference when KV holds what it cannot undo (a user)', async () => {
    const log = createLogger({ level: 'error' });
    const nats = await openNats(new Config({ flags: { 'nats-url': server.url } }), { dataDir, log });
    if (nats.state === 'off') throw new Error(nats.reason);
    try {
      const store = await createKvAccountsStore(
        createJetStreamKv({ kvm: nats.kvm, module: 'accounts', replicas: 1 }),
      );
      const at = new Date().toISOString();
      await store.users.create({
        id: 'usr_only_on_kv',
        username: 'kv-only',
        passwordHash: null,
        role: 'member',
        status: 'active',
        createdAt: at,
        updatedAt: at,
      });
    } finally {
      await nats.close();
    }
    const run = await migrate(['--nats-url', server.url, '--no-backup']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/accounts users: 0 copied, 2 unchanged, 1 could not be made equal/);
    // The node the KV Homeport registered is not in SQLite: removed.
    expect(run.stdout).toMatch(/nas nodes: 0 copied, (1 updated, )?1 removed/);
    expect(run.stdout).toContain('parity: FAILED — accounts users usr_only_on_kv: in KV, not in SQLite');
    expect(run.stderr).toContain('homeport: parity check failed: accounts users usr_only_on_kv');
  });
});
