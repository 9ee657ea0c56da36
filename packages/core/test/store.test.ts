// SQLite store: pragmas and numbered migrations recorded per module.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, exposedDirMode, openDatabase, persistedSecret } from '../src/index.js';

// Every temp folder this file makes, removed after its tests.
const made: string[] = [];
const madeTemp = (prefix: string): string => {
  const path = mkdtempSync(prefix);
  made.push(path);
  return path;
};
afterAll(() => {
  for (const path of made) rmSync(path, { recursive: true, force: true });
});

const file = () => join(madeTemp(join(tmpdir(), 'homeport-store-')), 'nested', 'test.db');

describe('openDatabase', () => {
  it('creates the folder and turns on WAL, foreign keys and a busy timeout', () => {
    const db = openDatabase(file());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  describe('with a permissive umask and an existing 0755 folder', () => {
    const modeOf = (path: string) => statSync(path).mode & 0o777;
    let previous = 0;
    beforeEach(() => {
      previous = process.umask(0);
    });
    afterEach(() => {
      process.umask(previous);
    });

    it('creates the database, its WAL and shared-memory files and secrets owner-only (0600)', () => {
      const dir = madeTemp(join(tmpdir(), 'homeport-store-'));
      chmodSync(dir, 0o755);
      const path = join(dir, 'homeport.db');
      const db = openDatabase(path);
      db.exec('CREATE TABLE t (password_hash TEXT)');
      db.prepare('INSERT INTO t VALUES (?)').run('$argon2id$secret');
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(`${path}-wal`)).toBe(0o600);
      expect(modeOf(`${path}-shm`)).toBe(0o600);
      db.close();
      persistedSecret(dir, 'signing-key', () => 'k');
      expect(modeOf(join(dir, 'secrets', 'signing-key'))).toBe(0o600);
      expect(modeOf(join(dir, 'secrets'))).toBe(0o700);
    });

    it('tightens a database an older version left world-readable', () => {
      const dir = madeTemp(join(tmpdir(), 'homeport-store-'));
      const path = join(dir, 'old.db');
      openDatabase(path).close();
      for (const suffix of ['', '-wal', '-shm']) writeFileSync(`${path}${suffix}`, '', { flag: 'a' });
      for (const suffix of ['', '-wal', '-shm']) chmodSync(`${path}${suffix}`, 0o644);
      const db = openDatabase(path);
      for (const suffix of ['', '-wal', '-shm']) expect(modeOf(`${path}${suffix}`)).toBe(0o600);
      db.close();
    });

    it('says when a folder is open to other users', () => {
      const dir = madeTemp(join(tmpdir(), 'homeport-store-'));
      chmodSync(dir, 0o755);
      expect(exposedDirMode(dir)).toBe(0o755);
      const closed = join(dir, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      expect(exposedDirMode(closed)).toBeUndefined();
    });
  });
});

describe('applyMigrations', () => {
  const migrations = [
    { version: 1, name: 'things', up: 'CREATE TABLE things (id TEXT PRIMARY KEY)' },
    { version: 2, name: 'names', up: 'ALTER TABLE things ADD COLUMN name TEXT' },
  ];

  it('applies pending migrations in order, once, and records them per module', () => {
    const path = file();
    let db = openDatabase(path);
    expect(applyMigrations(db, 'demo', [migrations[1]!, migrations[0]!])).toBe(2);
    expect(applyMigrations(db, 'demo', migrations)).toBe(0);
    expect(
      applyMigrations(db, 'other', [{ version: 1, name: 'x', up: 'CREATE TABLE other_x (id INTEGER)' }]),
    ).toBe(1);
    db.close();
    db = openDatabase(path);
    expect(applyMigrations(db, 'demo', migrations)).toBe(0);
    const recorded = db
      .prepare('SELECT module, version, name FROM schema_migrations ORDER BY module, version')
      .all();
    expect(recorded).toEqual([
      { module: 'demo', version: 1, name: 'things' },
      { module: 'demo', version: 2, name: 'names' },
      { module: 'other', version: 1, name: 'x' },
    ]);
    db.close();
  });

  it('refuses, changing nothing, a database a newer binary migrated further', () => {
    const path = file();
    const db = openDatabase(path);
    const newer = [
      ...migrations,
      { version: 3, name: 'tags', up: 'ALTER TABLE things ADD COLUMN tags TEXT' },
    ];
    expect(applyMigrations(db, 'demo', newer)).toBe(3);
    const before = db.prepare('SELECT * FROM schema_migrations').all();
    // The older binary knows versions 1 and 2, and has a third module migration the newer one has too.
    let error: unknown;
    try {
      applyMigrations(db, 'demo', migrations);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'database_newer' });
    expect((error as Error).message).toMatch(
      /demo schema is at version 3 \("tags"\), this binary knows up to 2/,
    );
    expect(db.prepare('SELECT * FROM schema_migrations').all()).toEqual(before);
    // A module the newer binary did not change still opens.
    expect(
      applyMigrations(db, 'other', [{ version: 1, name: 'x', up: 'CREATE TABLE other_x (id INTEGER)' }]),
    ).toBe(1);
    db.close();
  });

  it('rolls back a failing migration entirely', () => {
    const db = openDatabase(file());
    const bad = [
      { version: 1, name: 'half', up: 'CREATE TABLE a (id INTEGER); CREATE TABLE a (id INTEGER);' },
    ];
    expect(() => applyMigrations(db, 'demo', bad)).toThrow(/already exists/);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(0);
    db.close();
  });

  it('refuses duplicate versions', () => {
    const db = openDatabase(file());
    expect(() => applyMigrations(db, 'demo', [migrations[0]!, { ...migrations[1]!, version: 1 }])).toThrow(
      /duplicate/,
    );
    db.close();
  });
});

describe('persistedSecret', () => {
  it('creates the secret once with mode 0600 and returns the same value afterwards', async () => {
    const { persistedSecret } = await import('../src/index.js');
    const { statSync } = await import('node:fs');
    const dir = madeTemp(join(tmpdir(), 'homeport-secret-'));
    let calls = 0;
    const make = () => `value-${++calls}`;
    expect(persistedSecret(dir, 'demo-key', make)).toBe('value-1');
    expect(persistedSecret(dir, 'demo-key', make)).toBe('value-1');
    expect(calls).toBe(1);
    expect(statSync(join(dir, 'secrets', 'demo-key')).mode & 0o777).toBe(0o600);
    expect(() => persistedSecret(dir, '../escape', make)).toThrow(/bad secret name/);
  });
});
