// The bus repositories on SQLite (the contract is written in repositories.ts; rooms are in sqlite-rooms.ts).
// Constraint violations become the BusStoreError codes the KV store raises too.

import type { SqliteDatabase } from '@homeport/core';
import {
  type BlobRefRepository,
  type BusStore,
  BusStoreError,
  type BusUserRecord,
  type BusUserRepository,
  type GatewayIdentityRecord,
  type GatewayIdentityRepository,
  type NatsCredentialRecord,
  type NatsCredentialRepository,
  type NonceRepository,
  type RevocationRepository,
} from './repositories.js';
import { mergeRevocations, sameRevocations } from './revocation-list.js';
import { lowerKey, roomMissing } from './room-checks.js';
import { isSqliteForeignKeyViolation, isSqliteUniqueViolation } from './sqlite-errors.js';
import { sqliteRoomRepository } from './sqlite-rooms.js';

interface UserRow {
  sign_pub: string;
  kex_pub: string;
  handle: string;
  role: BusUserRecord['role'];
  status: BusUserRecord['status'];
  user_id: string | null;
  created_at: string;
  revoked_at: string | null;
}

const toUser = (row: UserRow): BusUserRecord => ({
  signPub: row.sign_pub,
  kexPub: row.kex_pub,
  handle: row.handle,
  role: row.role,
  status: row.status,
  userId: row.user_id,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

function userRepository(db: SqliteDatabase): BusUserRepository {
  const insert = db.prepare(`
    INSERT INTO bus_users (sign_pub, kex_pub, handle, role, status, user_id, created_at, revoked_at)
    VALUES (@signPub, @kexPub, @handle, @role, @status, @userId, @createdAt, @revokedAt)`);
  const get = db.prepare<[string], UserRow>('SELECT * FROM bus_users WHERE sign_pub = ?');
  const list = db.prepare<[], UserRow>('SELECT * FROM bus_users ORDER BY created_at, sign_pub');
  const byAccount = db.prepare<[string], UserRow>(
    'SELECT * FROM bus_users WHERE user_id = ? ORDER BY created_at, sign_pub',
  );
  const revoke = db.prepare<[string, string], UserRow>(
    "UPDATE bus_users SET status = 'revoked', revoked_at = ? WHERE sign_pub = ? AND status = 'active' RETURNING *",
  );
  const activeAdmin = db
    .prepare<[], number>("SELECT EXISTS (SELECT 1 FROM bus_users WHERE role = 'admin' AND status = 'active')")
    .pluck();
  return {
    async add(input, now) {
      const record: BusUserRecord = {
        signPub: lowerKey(input.signPub),
        kexPub: lowerKey(input.kexPub),
        handle: input.handle,
        role: input.role,
        status: 'active',
        userId: input.userId,
        createdAt: now,
        revokedAt: null,
      };
      try {
        insert.run(record);
      } catch (error) {
        if (!isSqliteUniqueViolation(error)) throw error;
        throw new BusStoreError('bus_user_exists', `${record.signPub} is on the allowlist already`, {
          cause: error,
        });
      }
      return record;
    },
    async get(signPub) {
      const row = get.get(lowerKey(signPub));
      return row && toUser(row);
    },
    async list() {
      return list.all().map(toUser);
    },
    async listByAccount(userId) {
      return byAccount.all(userId).map(toUser);
    },
    async revoke(signPub, now) {
      const row = revoke.get(now, lowerKey(signPub));
      return row && toUser(row);
    },
    async hasActiveAdmin() {
      return activeAdmin.get() === 1;
    },
  };
}

function nonceRepository(db: SqliteDatabase): NonceRepository {
  // A replay finds the row there and inserts nothing: claimed only by the first.
  const claim = db.prepare(
    'INSERT OR IGNORE INTO bus_nonces (sign_pub, nonce, expires_at_ms) VALUES (?, ?, ?)',
  );
  const sweep = db.prepare('DELETE FROM bus_nonces WHERE expires_at_ms <= ?');
  return {
    async claim(signPub, nonce, expiresAtMs) {
      return claim.run(lowerKey(signPub), nonce, expiresAtMs).changes === 1;
    },
    async sweep(nowMs) {
      return sweep.run(nowMs).changes;
    },
  };
}

interface CredentialRow {
  nats_pub: string;
  sign_pub: string;
  issued_at_ms: number;
  expires_at_ms: number;
}

const toCredential = (row: CredentialRow): NatsCredentialRecord => ({
  natsPub: row.nats_pub,
  signPub: row.sign_pub,
  issuedAtMs: row.issued_at_ms,
  expiresAtMs: row.expires_at_ms,
});

function natsCredentialRepository(db: SqliteDatabase): NatsCredentialRepository {
  // Recording a credential again (a retry after a lost answer) replaces it.
  const record = db.prepare(`
    INSERT INTO bus_nats_credentials (nats_pub, sign_pub, issued_at_ms, expires_at_ms)
    VALUES (@natsPub, @signPub, @issuedAtMs, @expiresAtMs)
    ON CONFLICT (nats_pub) DO UPDATE SET sign_pub = excluded.sign_pub, issued_at_ms = excluded.issued_at_ms,
      expires_at_ms = excluded.expires_at_ms
    WHERE bus_nats_credentials.sign_pub = excluded.sign_pub
      OR bus_nats_credentials.expires_at_ms <= excluded.issued_at_ms`);
  const live = db.prepare<[string, number], CredentialRow>(
    'SELECT * FROM bus_nats_credentials WHERE sign_pub = ? AND expires_at_ms > ? ORDER BY issued_at_ms, nats_pub',
  );
  const sweep = db.prepare('DELETE FROM bus_nats_credentials WHERE expires_at_ms <= ?');
  return {
    async record(credential) {
      if (record.run({ ...credential, signPub: lowerKey(credential.signPub) }).changes === 0)
        throw new BusStoreError(
          'bus_credential_taken',
          'This NATS key has a live credential of another identity',
        );
    },
    async listLive(signPub, nowMs) {
      return live.all(lowerKey(signPub), nowMs).map(toCredential);
    },
    async sweep(nowMs) {
      return sweep.run(nowMs).changes;
    },
  };
}

function revocationRepository(db: SqliteDatabase): RevocationRepository {
  const read = db.prepare<[], { revocations: string; revision: number }>(
    'SELECT revocations, revision FROM bus_revocations WHERE id = 1',
  );
  const write = db.prepare(`
    INSERT INTO bus_revocations (id, revocations, revision) VALUES (1, ?, ?)
    ON CONFLICT (id) DO UPDATE SET revocations = excluded.revocations, revision = excluded.revision`);
  // Written by this module only, as a JSON object of key → seconds.
  const current = () => {
    const row = read.get();
    return row
      ? { revocations: JSON.parse(row.revocations) as Record<string, number>, revision: row.revision }
      : { revocations: {}, revision: 0 };
  };
  const add = db.transaction((entries: Record<string, number>, pruneBeforeSec: number) => {
    const { revocations, revision } = current();
    const merged = mergeRevocations(revocations, entries, pruneBeforeSec);
    if (!sameRevocations(merged, revocations)) write.run(JSON.stringify(merged), revision + 1);
    return merged;
  });
  return {
    async get() {
      return current();
    },
    async add(entries, pruneBeforeSec) {
      // IMMEDIATE: another process on the file waits for this read-modify-write instead of losing to it.
      return add.immediate(entries, pruneBeforeSec);
    },
  };
}

function blobRefRepository(db: SqliteDatabase): BlobRefRepository {
  const add = db.prepare(`
    INSERT INTO bus_blob_refs (room_id, hash, size, created_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (room_id, hash) DO NOTHING`);
  const has = db
    .prepare<[string, string], number>(
      'SELECT EXISTS (SELECT 1 FROM bus_blob_refs WHERE room_id = ? AND hash = ?)',
    )
    .pluck();
  const referenced = db
    .prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM bus_blob_refs WHERE hash = ?)')
    .pluck();
  const usage = db.prepare<[string], { count: number; bytes: number }>(
    'SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM bus_blob_refs WHERE room_id = ?',
  );
  return {
    async add(roomId, hash, size, now) {
      try {
        add.run(roomId, hash, size, now);
      } catch (error) {
        if (!isSqliteForeignKeyViolation(error)) throw error;
        throw roomMissing(roomId);
      }
    },
    async has(roomId, hash) {
      return has.get(roomId, hash) === 1;
    },
    async usage(roomId) {
      const row = usage.get(roomId);
      return { count: row?.count ?? 0, bytes: row?.bytes ?? 0 };
    },
    async unreferenced(known) {
      return [...new Set(known)].filter((hash) => referenced.get(hash) !== 1);
    },
  };
}

interface GatewayRow {
  user_id: string;
  sign_pub: string;
  kex_pub: string;
  sealed_private: string;
  created_at: string;
}

const toGateway = (row: GatewayRow): GatewayIdentityRecord => ({
  userId: row.user_id,
  signPub: row.sign_pub,
  kexPub: row.kex_pub,
  sealedPrivate: row.sealed_private,
  createdAt: row.created_at,
});

function gatewayIdentityRepository(db: SqliteDatabase): GatewayIdentityRepository {
  const get = db.prepare<[string], GatewayRow>('SELECT * FROM bus_gateway_identities WHERE user_id = ?');
  const insert = db.prepare(`
    INSERT INTO bus_gateway_identities (user_id, sign_pub, kex_pub, sealed_private, created_at)
    VALUES (@userId, @signPub, @kexPub, @sealedPrivate, @createdAt)`);
  return {
    async get(userId) {
      const row = get.get(userId);
      return row && toGateway(row);
    },
    async create(record) {
      try {
        insert.run({ ...record, signPub: lowerKey(record.signPub), kexPub: lowerKey(record.kexPub) });
      } catch (error) {
        if (!isSqliteUniqueViolation(error)) throw error;
        throw new BusStoreError(
          'bus_gateway_exists',
          `Account ${record.userId} has a gateway identity already`,
          {
            cause: error,
          },
        );
      }
    },
  };
}

/**
 * The bus store on a SQLite database the bus migrations were applied to.
 *
 * @example
 *   applyMigrations(db, 'bus', busMigrations);
 *   const store = createSqliteBusStore(db);
 */
export function createSqliteBusStore(db: SqliteDatabase): BusStore {
  return {
    users: userRepository(db),
    rooms: sqliteRoomRepository(db),
    nonces: nonceRepository(db),
    natsCredentials: natsCredentialRepository(db),
    revocations: revocationRepository(db),
    blobs: blobRefRepository(db),
    gatewayIdentities: gatewayIdentityRepository(db),
  };
}
