// `homeport migrate from-betternas` run as the built command on a betterNAS database built like betterNAS's:
// the dry run writes nothing, --apply imports after a backup, a second --apply changes nothing, conflicts and
// names Homeport refuses are skipped, bad files fail; then a real Homeport serves what was imported.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOMEPORT_BUNDLE, startHomeport, tempDir } from '@homeport/testkit';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MigrationReport } from '../src/migrate/betternas.js';
import { importedUserId } from '../src/migrate/betternas-plan.js';
import { importTarget } from '../src/migrate/stores.js';
import {
  type BetternasFixture,
  createBetternasDb,
  defaultFixture,
  sha256Hex,
} from './support/betternas-db.js';
import { dumpDatabase } from './support/sqlite-dump.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function homeport(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `work` on a read-only connection to a SQLite file. */
function readDb<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** A Homeport data dir with its database and an admin, made the way an operator would (`homeport user add`). */
async function homeportDataDir(admin = 'root'): Promise<string> {
  const dataDir = tempDir('homeport-migrate-');
  const added = await homeport(
    ['user', 'add', admin, '--role', 'admin', '--password-stdin', '--data-dir', dataDir],
    'homeport-admin-password\n',
  );
  expect(added.code, added.stderr).toBe(0);
  return dataDir;
}

async function betternasDb(fixture?: BetternasFixture): Promise<string> {
  const file = join(tempDir('betternas-'), 'control-plane.db');
  await createBetternasDb(file, fixture);
  return file;
}

async function migrate(args: string[]): Promise<Run> {
  return homeport(['migrate', 'from-betternas', ...args]);
}

async function migrateJson(args: string[]): Promise<MigrationReport & { applyCommand?: string }> {
  const run = await migrate([...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

const ids = (entries: readonly { id: string }[]) => entries.map((entry) => entry.id);

describe('homeport migrate from-betternas', () => {
  let dataDir: string;
  let source: string;
  let homeportDb: string;
  const fixture = defaultFixture();

  beforeAll(async () => {
    dataDir = await homeportDataDir();
    source = await betternasDb(fixture);
    homeportDb = join(dataDir, 'homeport.db');
  });

  it('plans a dry run per kind, ends with the --apply command, and writes nothing', async () => {
    const homeportBefore = dumpDatabase(homeportDb);
    const betternasBefore = dumpDatabase(source);

    const run = await migrate(['--db', source, '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('users: 3 to import, 0 unchanged, 0 skipped');
    expect(run.stdout).toContain('  + alice (member), bob (member), Carol (member)');
    expect(run.stdout).toContain('nodes: 3 to import, 0 unchanged, 0 skipped');
    expect(run.stdout).toContain(
      '  ! dev-node-3: no node token in betterNAS: imported with a void token, the agent must re-enrol',
    );
    expect(run.stdout).toContain('exports: 4 to import, 0 unchanged, 0 skipped');
    expect(run.stdout).toMatch(/sessions: 1 not imported \(.*users sign in again\)/);
    expect(run.stdout).toContain('Dry run: nothing was written. To import, run:');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      `  homeport migrate from-betternas --db ${source} --data-dir ${dataDir} --apply`,
    );

    const report = await migrateJson(['--db', source, '--data-dir', dataDir, '--admin', 'carol']);
    expect(report).toMatchObject({ dryRun: true, applied: false, backup: null, source, dataDir });
    expect(report.users.create).toEqual([
      { id: 'alice', notes: [], role: 'member' },
      { id: 'bob', notes: [], role: 'member' },
      { id: 'Carol', notes: [], role: 'admin' },
    ]);
    expect(ids(report.nodes.create)).toEqual(['dev-node', 'dev-node-2', 'dev-node-3']);
    expect(ids(report.exports.create)).toEqual([
      'dev-export',
      'dev-export-2',
      'dev-export-3',
      'dev-export-4',
    ]);
    expect(report.applyCommand).toBe(
      `homeport migrate from-betternas --db ${source} --data-dir ${dataDir} --admin carol --apply`,
    );

    expect(dumpDatabase(homeportDb)).toEqual(homeportBefore);
    expect(dumpDatabase(source)).toEqual(betternasBefore);
    expect(existsSync(join(dataDir, 'backups'))).toBe(false);
  });

  it('imports with --apply after an online backup of Homeport (0600 in a 0700 folder)', async () => {
    const betternasBefore = dumpDatabase(source);
    const usersBefore = dumpDatabase(homeportDb).users;
    const report = await migrateJson(['--db', source, '--data-dir', dataDir, '--apply', '--admin', 'carol']);
    expect(report).toMatchObject({ dryRun: false, applied: true });
    expect(report.applyCommand).toBeUndefined();
    expect(ids(report.users.create)).toEqual(['alice', 'bob', 'Carol']);
    expect(ids(report.nodes.create)).toHaveLength(3);
    expect(ids(report.exports.create)).toHaveLength(4);

    const backup = report.backup ?? '';
    expect(backup).toMatch(/\/backups\/homeport-before-betternas-\d{8}T\d{6}Z\.db$/);
    expect(backup.startsWith(join(dataDir, 'backups'))).toBe(true);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    // A real SQLite database holding Homeport as it was before the import.
    expect(dumpDatabase(backup).users).toEqual(usersBefore);

    const users = readDb(homeportDb, (db) =>
      db.prepare('SELECT * FROM users ORDER BY username_key').all(),
    ) as Record<string, unknown>[];
    const byName = new Map(users.map((user) => [user.username, user]));
    for (const user of fixture.users) {
      const row = byName.get(user.username);
      expect(row).toMatchObject({
        id: importedUserId(user.id),
        role: user.username === 'Carol' ? 'admin' : 'member',
        status: 'active',
        created_at: new Date(user.createdAt).toISOString(),
      });
      expect(String(row?.password_hash)).toMatch(/^\$2[aby]\$10\$/);
    }
    expect(byName.get('bob')?.created_at).toBe('2025-09-02T08:30:15.123Z');

    const nodes = readDb(homeportDb, (db) => db.prepare('SELECT * FROM nas_nodes ORDER BY id').all());
    expect(nodes).toMatchObject([
      {
        id: 'dev-node',
        agent_kind: 'betternas',
        machine_id: 'machine-a',
        display_name: 'Attic NAS',
        agent_version: '0.3.1',
        reported_status: 'online',
        status: 'online',
        last_seen_at: Date.parse('2026-01-15T12:00:00Z'),
        direct_address: 'http://10.0.0.5:8090',
        relay_address: null,
        token_hash: sha256Hex('node-token-of-dev-node-0123456789abcdef'),
        key_id: 1,
        grace_from_key_id: 1,
        grace_until: null,
        enrolment_hash: null,
        enrolment_expires_at: null,
      },
      {
        id: 'dev-node-2',
        status: 'offline',
        last_seen_at: null,
        relay_address: 'https://relay.example.com/b',
        token_hash: sha256Hex('node-token-of-dev-node-2-fedcba9876543210'),
      },
      { id: 'dev-node-3', status: 'degraded', token_hash: '' },
    ]);

    const exports = readDb(homeportDb, (db) => db.prepare('SELECT * FROM nas_exports ORDER BY id').all());
    expect(exports).toHaveLength(4);
    for (const [index, item] of fixture.exports.entries()) {
      const row = exports[index] as Record<string, unknown>;
      expect(row).toMatchObject({
        id: item.id,
        node_id: item.nodeId,
        label: item.label,
        path: item.path,
        mount_path: item.mountPath,
        capacity_bytes: item.capacityBytes,
        free_bytes: null,
        used_bytes: null,
      });
      expect(JSON.parse(String(row.protocols))).toEqual(item.protocols);
      expect(JSON.parse(String(row.tags)).sort()).toEqual([...item.tags].sort());
    }
    expect(dumpDatabase(source)).toEqual(betternasBefore);
  });

  it('finds everything unchanged on a second --apply and writes nothing, not even a backup', async () => {
    const before = dumpDatabase(homeportDb);
    const run = await migrate(['--db', source, '--data-dir', dataDir, '--apply']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('users: 0 imported, 3 unchanged, 0 skipped');
    expect(run.stdout).toContain('nodes: 0 imported, 3 unchanged, 0 skipped');
    expect(run.stdout).toContain('exports: 0 imported, 4 unchanged, 0 skipped');
    expect(run.stdout).toContain(
      'Nothing to import (everything is in Homeport already, or skipped): nothing was written, so no backup was taken.',
    );
    expect(dumpDatabase(homeportDb)).toEqual(before);
    expect(readdirSync(join(dataDir, 'backups'))).toHaveLength(1);

    const dryRun = await migrateJson(['--db', source, '--data-dir', dataDir]);
    expect(dryRun.users.unchanged).toHaveLength(3);
    expect(dryRun.users.create).toHaveLength(0);
  });

  it('reads what a betterNAS still running (or killed) left in its WAL, without checkpointing it', async () => {
    const live = await betternasDb();
    const betternas = new Database(live);
    try {
      betternas.pragma('wal_autocheckpoint = 0');
      betternas
        .prepare('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)')
        .run('d00dfeed', 'dave', `$2b$10$${'a'.repeat(53)}`, '2026-01-01T00:00:00Z');
      const walBefore = statSync(`${live}-wal`).size;
      expect(walBefore).toBeGreaterThan(0);
      const report = await migrateJson(['--db', live, '--data-dir', dataDir]);
      expect(ids(report.users.create)).toEqual(['dave']);
      expect(statSync(`${live}-wal`).size).toBe(walBefore);
    } finally {
      betternas.close();
    }
  });
});

describe('homeport migrate from-betternas: conflicts and names Homeport refuses', () => {
  const LONG_NODE_ID = 'node-with-an-id-longer-than-32-characters';
  let dataDir: string;
  let source: string;

  beforeAll(async () => {
    // An "Alice" already in Homeport (names are unique ignoring case), and a node on betterNAS's machine-b.
    dataDir = await homeportDataDir('Alice');
    const db = new Database(join(dataDir, 'homeport.db'));
    try {
      await importTarget(db).nodes.save({
        id: 'nod_existing',
        agentKind: 'homeport',
        machineId: 'machine-b',
        displayName: 'machine-b under Homeport',
        agentVersion: '0.1.0',
        reportedStatus: 'online',
        status: 'online',
        lastSeenAt: null,
        directAddress: null,
        relayAddress: null,
        tokenHash: sha256Hex('homeport-node-token'),
        createdAt: new Date().toISOString(),
        keyId: 1,
        graceFromKeyId: 1,
        graceUntil: null,
        enrolmentHash: null,
        enrolmentExpiresAt: null,
      });
    } finally {
      db.close();
    }
    const fixture = defaultFixture();
    fixture.users.push({
      id: 'f00d',
      username: 'j.doe',
      password: 'jdoe-on-betternas',
      createdAt: '2025-12-01T00:00:00Z',
    });
    fixture.nodes.push({
      id: LONG_NODE_ID,
      machineId: 'machine-d',
      displayName: 'Long id',
      agentVersion: '0.3.1',
      status: 'online',
      lastSeenAt: null,
      directAddress: null,
      relayAddress: null,
      token: 'node-token-of-the-long-one',
    });
    fixture.exports.push(
      {
        id: 'export with spaces',
        nodeId: 'dev-node',
        label: 'Spaced',
        path: '/srv/spaced',
        mountPath: '/dav/exports/spaced/',
        capacityBytes: null,
        protocols: ['webdav'],
        tags: [],
      },
      {
        id: 'long-node-export',
        nodeId: LONG_NODE_ID,
        label: 'On the long node',
        path: '/srv/x',
        mountPath: '/dav/',
        capacityBytes: null,
        protocols: ['webdav'],
        tags: [],
      },
    );
    source = await betternasDb(fixture);
  });

  it('reports each conflict and refused name with its reason, and imports the rest', async () => {
    const report = await migrateJson(['--db', source, '--data-dir', dataDir]);
    expect(report.users.skipped).toEqual([
      { id: 'alice', reason: 'a Homeport user with this name exists' },
      {
        id: 'j.doe',
        reason: 'not a valid Homeport username: Username may use only letters A–Z, digits, "_" and "-"',
      },
    ]);
    expect(ids(report.users.create)).toEqual(['bob', 'Carol']);
    expect(report.nodes.skipped).toEqual([
      { id: 'dev-node-2', reason: 'machine id machine-b is registered in Homeport as node nod_existing' },
      { id: LONG_NODE_ID, reason: 'node id is not 1–32 characters of A–Z, a–z, 0–9, . _ -' },
    ]);
    expect(ids(report.nodes.create)).toEqual(['dev-node', 'dev-node-3']);
    expect(report.exports.skipped).toEqual([
      { id: 'export with spaces', reason: 'export id is not 1–32 characters of A–Z, a–z, 0–9, . _ -' },
      { id: 'dev-export-3', reason: 'its node dev-node-2 is skipped' },
      { id: 'long-node-export', reason: `its node ${LONG_NODE_ID} is skipped` },
    ]);
    expect(ids(report.exports.create)).toEqual(['dev-export', 'dev-export-2', 'dev-export-4']);

    const run = await migrate(['--db', source, '--data-dir', dataDir, '--apply']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'users: 2 imported, 0 unchanged, 2 skipped (alice: a Homeport user with this name exists; j.doe: not a valid Homeport username',
    );
    expect(run.stdout).toContain(
      'nodes: 2 imported, 0 unchanged, 2 skipped (dev-node-2: machine id machine-b is registered in Homeport as node nod_existing;',
    );
    const homeportDb = join(dataDir, 'homeport.db');
    const alice = readDb(homeportDb, (db) =>
      db.prepare("SELECT password_hash FROM users WHERE username_key = 'alice'").pluck().get(),
    );
    expect(String(alice)).toMatch(/^\$argon2id\$/); // Homeport's own Alice, untouched
    const nodeIds = readDb(homeportDb, (db) =>
      db.prepare('SELECT id FROM nas_nodes ORDER BY id').pluck().all(),
    );
    expect(nodeIds).toEqual(['dev-node', 'dev-node-3', 'nod_existing']);
    const exportIds = readDb(homeportDb, (db) =>
      db.prepare('SELECT id FROM nas_exports ORDER BY id').pluck().all(),
    );
    expect(exportIds).toEqual(['dev-export', 'dev-export-2', 'dev-export-4']);
  });

  it('refuses --admin for a user it skips, before writing anything', async () => {
    const homeportDb = join(dataDir, 'homeport.db');
    const before = dumpDatabase(homeportDb);
    const backups = readdirSync(join(dataDir, 'backups'));
    const run = await migrate(['--db', source, '--data-dir', dataDir, '--apply', '--admin', 'ALICE']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      '--admin ALICE: this user is skipped (a Homeport user with this name exists)',
    );
    const nobody = await migrate(['--db', source, '--data-dir', dataDir, '--apply', '--admin', 'nobody']);
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toContain('--admin nobody: no betterNAS user has this name');
    expect(dumpDatabase(homeportDb)).toEqual(before);
    expect(readdirSync(join(dataDir, 'backups'))).toEqual(backups);
  });
});

describe('homeport migrate from-betternas: input it cannot use', () => {
  let dataDir: string;
  let homeportDb: string;
  let before: Record<string, string[]>;

  beforeAll(async () => {
    dataDir = await homeportDataDir();
    homeportDb = join(dataDir, 'homeport.db');
    before = dumpDatabase(homeportDb);
  });

  async function refused(file: string, message: string | RegExp): Promise<void> {
    const run = await migrate(['--db', file, '--data-dir', dataDir, '--apply']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(dumpDatabase(homeportDb)).toEqual(before);
    expect(existsSync(join(dataDir, 'backups'))).toBe(false);
  }

  it('fails on a missing file', async () => {
    const file = join(tempDir('betternas-'), 'nowhere.db');
    await refused(file, `homeport: betterNAS database ${file} not found`);
  });

  it('fails on a file that is not a SQLite database', async () => {
    const file = join(tempDir('betternas-'), 'notes.db');
    writeFileSync(file, 'These are not the tables you are looking for. '.repeat(20));
    await refused(file, /is not a SQLite database/);
  });

  it('fails on a folder', async () => {
    await refused(tempDir('betternas-'), /is not a file/);
  });

  it('names every table and column it misses', async () => {
    const file = join(tempDir('betternas-'), 'other.db');
    const db = new Database(file);
    db.exec(`
      CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT, created_at TEXT);
      CREATE TABLE nodes (id TEXT PRIMARY KEY, machine_id TEXT, display_name TEXT, agent_version TEXT, status TEXT,
                          last_seen_at TEXT, direct_address TEXT);
    `);
    db.close();
    const run = await migrate(['--db', file, '--data-dir', dataDir]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('does not look like a betterNAS control-plane database: missing');
    for (const missing of [
      'column users.password_hash',
      'table sessions',
      'column nodes.relay_address',
      'table node_tokens',
      'table exports',
      'table export_protocols',
      'table export_tags',
    ]) {
      expect(run.stderr).toContain(missing);
    }
    expect(run.stderr).not.toContain('users.username');
    expect(dumpDatabase(homeportDb)).toEqual(before);
  });

  it('fails when the data dir has no Homeport database yet, and creates none', async () => {
    const source = await betternasDb();
    const empty = tempDir('homeport-empty-');
    const run = await migrate(['--db', source, '--data-dir', empty]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`no Homeport database in ${empty}: start Homeport once`);
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('homeport migrate from-betternas: a real Homeport after the import', () => {
  it('signs imported users in with their betterNAS password, takes betterNAS node tokens, lists the exports', async () => {
    const fixture = defaultFixture();
    const source = await betternasDb(fixture);
    const adminPassword = 'e2e-homeport-admin-password';
    const env = { HOMEPORT_ADMIN_PASSWORD: adminPassword };

    // As an operator would: start Homeport once (database, first admin), stop it, import, start it again.
    const first = await startHomeport({ env });
    await first.process.stop();
    const dataDir = first.dataDir;
    const run = await migrate(['--db', source, '--data-dir', dataDir, '--apply']);
    expect(run.code, run.stderr).toBe(0);

    const server = await startHomeport({ dataDir, env });
    try {
      const login = (username: string, password: string) =>
        fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
      const storedHash = () =>
        String(
          readDb(join(dataDir, 'homeport.db'), (db) =>
            db.prepare("SELECT password_hash FROM users WHERE username_key = 'bob'").pluck().get(),
          ),
        );
      expect(storedHash()).toMatch(/^\$2b\$10\$/);

      expect((await login('bob', 'not-bobs-password')).status).toBe(401);
      const signedIn = await login('bob', 'bob-on-betternas-1');
      expect(signedIn.status).toBe(200);
      expect(await signedIn.json()).toMatchObject({ user: { username: 'bob', role: 'member' } });
      await until(() => storedHash().startsWith('$argon2id$'));
      // The upgraded hash still takes the same password.
      expect((await login('BOB', 'bob-on-betternas-1')).status).toBe(200);

      const heartbeat = (nodeId: string, token: string) =>
        fetch(`${server.url}/api/v1/nodes/${nodeId}/heartbeat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ nodeId, status: 'online', lastSeenAt: new Date().toISOString() }),
        });
      const devNode = fixture.nodes[0];
      expect(devNode?.token).toBeTruthy();
      expect((await heartbeat('dev-node', devNode?.token ?? '')).status).toBe(204);
      expect((await heartbeat('dev-node', 'not-the-node-token')).status).toBe(401);
      // No token row in betterNAS: the imported node's token is void until it re-enrols.
      expect((await heartbeat('dev-node-3', 'any-token-at-all')).status).toBe(401);

      const admin = await login('admin', adminPassword);
      expect(admin.status).toBe(200);
      const { token } = (await admin.json()) as { token: string };
      const listed = await fetch(`${server.url}/api/v1/exports`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(listed.status).toBe(200);
      const exports = (await listed.json()) as {
        id: string;
        nasNodeId: string;
        protocols: string[];
        tags: string[];
      }[];
      for (const item of fixture.exports) {
        const found = exports.find((candidate) => candidate.id === item.id);
        expect(found, item.id).toMatchObject({
          nasNodeId: item.nodeId,
          label: item.label,
          protocols: item.protocols,
        });
        expect([...(found?.tags ?? [])].sort()).toEqual([...item.tags].sort());
      }
    } finally {
      await server.process.stop();
    }
  }, 60_000); // several CLI processes and a Homeport start: on a loaded 2-core machine 30 s was too tight
});
