// SQLite implementation of the NAS repositories (the contract is written in repositories.ts); constraint
// violations become the errors the KV store raises too (store-errors.ts).

import type { SqliteDatabase } from '@homeport/core';
import type {
  AgentKind,
  CredentialFilter,
  CredentialRecord,
  CredentialRepository,
  ExportRecord,
  ExportRepository,
  ExportSpace,
  GrantAccess,
  GrantRecord,
  GrantRepository,
  NasStore,
  NodeRecord,
  NodeRepository,
  NodeStatus,
  SettingRepository,
} from './repositories.js';
import { sqliteManagedExportRepository } from './sqlite-managed-exports.js';
import { sqliteAttemptRepository, sqliteShareRepository } from './sqlite-shares.js';
import {
  exportMissing,
  isSqliteForeignKeyViolation,
  isSqliteUniqueViolation,
  nodeMissing,
  requireUniqueInventory,
  uniquenessConflict,
} from './store-errors.js';

interface NodeRow {
  id: string;
  agent_kind: AgentKind;
  machine_id: string;
  display_name: string;
  agent_version: string;
  reported_status: NodeStatus;
  status: NodeStatus;
  last_seen_at: number | null;
  direct_address: string | null;
  relay_address: string | null;
  token_hash: string;
  created_at: string;
  key_id: number;
  grace_from_key_id: number;
  grace_until: number | null;
  enrolment_hash: string | null;
  enrolment_expires_at: number | null;
}

interface ExportRow {
  id: string;
  node_id: string;
  label: string;
  path: string;
  mount_path: string;
  protocols: string;
  capacity_bytes: number | null;
  free_bytes: number | null;
  used_bytes: number | null;
  tags: string;
  created_at: string;
}

interface GrantRow {
  export_id: string;
  user_id: string;
  access: GrantAccess;
  created_at: string;
}

interface CredentialRow {
  username: string;
  user_id: string | null;
  share_id: string | null;
  export_id: string;
  node_id: string;
  readonly: number;
  issued_at: string;
  expires_at: number;
  revoked_at: string | null;
}

const toNode = (row: NodeRow): NodeRecord => ({
  id: row.id,
  agentKind: row.agent_kind,
  machineId: row.machine_id,
  displayName: row.display_name,
  agentVersion: row.agent_version,
  reportedStatus: row.reported_status,
  status: row.status,
  lastSeenAt: row.last_seen_at,
  directAddress: row.direct_address,
  relayAddress: row.relay_address,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  keyId: row.key_id,
  graceFromKeyId: row.grace_from_key_id,
  graceUntil: row.grace_until,
  enrolmentHash: row.enrolment_hash,
  enrolmentExpiresAt: row.enrolment_expires_at,
});

// Columns written by this module only, as JSON arrays of strings.
const stringArray = (text: string): string[] => JSON.parse(text) as string[];

const toExport = (row: ExportRow): ExportRecord => ({
  id: row.id,
  nodeId: row.node_id,
  label: row.label,
  path: row.path,
  mountPath: row.mount_path,
  protocols: stringArray(row.protocols),
  capacityBytes: row.capacity_bytes,
  freeBytes: row.free_bytes,
  usedBytes: row.used_bytes,
  tags: stringArray(row.tags),
  createdAt: row.created_at,
});

const toGrant = (row: GrantRow): GrantRecord => ({
  exportId: row.export_id,
  userId: row.user_id,
  access: row.access,
  createdAt: row.created_at,
});

const toCredential = (row: CredentialRow): CredentialRecord => ({
  username: row.username,
  userId: row.user_id,
  shareId: row.share_id,
  exportId: row.export_id,
  nodeId: row.node_id,
  readonly: row.readonly === 1,
  issuedAt: row.issued_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

function nodeRepository(db: SqliteDatabase): NodeRepository {
  const byId = db.prepare<[string], NodeRow>('SELECT * FROM nas_nodes WHERE id = ?');
  const byMachine = db.prepare<[string], NodeRow>('SELECT * FROM nas_nodes WHERE machine_id = ?');
  const list = db.prepare<[], NodeRow>('SELECT * FROM nas_nodes ORDER BY display_name, id');
  const save = db.prepare(`
    INSERT INTO nas_nodes (id, agent_kind, machine_id, display_name, agent_version, reported_status, status,
                           last_seen_at, direct_address, relay_address, token_hash, created_at, key_id,
                           grace_from_key_id, grace_until, enrolment_hash, enrolment_expires_at)
    VALUES (@id, @agentKind, @machineId, @displayName, @agentVersion, @reportedStatus, @status, @lastSeenAt,
            @directAddress, @relayAddress, @tokenHash, @createdAt, @keyId, @graceFromKeyId,
            @graceUntil, @enrolmentHash, @enrolmentExpiresAt)
    ON CONFLICT (id) DO UPDATE SET agent_kind = excluded.agent_kind, display_name = excluded.display_name, agent_version = excluded.agent_version,
      reported_status = excluded.reported_status, status = excluded.status, last_seen_at = excluded.last_seen_at,
      direct_address = excluded.direct_address, relay_address = excluded.relay_address, token_hash = excluded.token_hash,
      key_id = excluded.key_id, grace_from_key_id = excluded.grace_from_key_id, grace_until = excluded.grace_until,
      enrolment_hash = excluded.enrolment_hash, enrolment_expires_at = excluded.enrolment_expires_at`);
  const takeEnrolment = db.prepare(
    'UPDATE nas_nodes SET enrolment_hash = NULL, enrolment_expires_at = NULL WHERE id = ? AND enrolment_hash = ?',
  );
  const remove = db.prepare('DELETE FROM nas_nodes WHERE id = ?');
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM nas_nodes').pluck();
  const heartbeat = db.prepare('UPDATE nas_nodes SET reported_status = ?, last_seen_at = ? WHERE id = ?');
  const setStatus = db.prepare('UPDATE nas_nodes SET status = ? WHERE id = ?');
  return {
    async byId(id) {
      const row = byId.get(id);
      return row && toNode(row);
    },
    async byMachineId(machineId) {
      const row = byMachine.get(machineId);
      return row && toNode(row);
    },
    async save(node) {
      try {
        save.run(node);
      } catch (error) {
        if (!isSqliteUniqueViolation(error)) throw error;
        throw uniquenessConflict(
          'machineId',
          `Machine ${node.machineId} is already registered as another node`,
          error,
        );
      }
    },
    async recordHeartbeat(id, reportedStatus, at) {
      heartbeat.run(reportedStatus, at, id);
    },
    async setStatus(id, status) {
      setStatus.run(status, id);
    },
    async list() {
      return list.all().map(toNode);
    },
    async count() {
      return count.get() ?? 0;
    },
    async takeEnrolment(id, hash) {
      return takeEnrolment.run(id, hash).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes > 0;
    },
  };
}

function exportRepository(db: SqliteDatabase): ExportRepository {
  const forNode = db.prepare<[string], ExportRow>('SELECT * FROM nas_exports WHERE node_id = ?');
  const byId = db.prepare<[string], ExportRow>('SELECT * FROM nas_exports WHERE id = ?');
  const list = db.prepare<[], ExportRow>('SELECT * FROM nas_exports ORDER BY label, id');
  // Served by the UNIQUE (node_id, path) index; sorted like `list`.
  const listForNode = db.prepare<[string], ExportRow>(
    'SELECT * FROM nas_exports WHERE node_id = ? ORDER BY label, id',
  );
  const remove = db.prepare('DELETE FROM nas_exports WHERE id = ?');
  const upsert = db.prepare(`
    INSERT INTO nas_exports (id, node_id, label, path, mount_path, protocols, capacity_bytes, free_bytes,
                             used_bytes, tags, created_at)
    VALUES (@id, @nodeId, @label, @path, @mountPath, @protocols, @capacityBytes, @freeBytes, @usedBytes,
            @tags, @createdAt)
    ON CONFLICT (id) DO UPDATE SET label = excluded.label, mount_path = excluded.mount_path,
      protocols = excluded.protocols, capacity_bytes = excluded.capacity_bytes,
      free_bytes = excluded.free_bytes, used_bytes = excluded.used_bytes, tags = excluded.tags`);
  // Only rows of the reporting node, and only when a value differs: the caller learns what changed.
  const setSpace = db.prepare(`
    UPDATE nas_exports SET capacity_bytes = @capacityBytes, free_bytes = @freeBytes, used_bytes = @usedBytes
    WHERE id = @exportId AND node_id = @nodeId
      AND (capacity_bytes IS NOT @capacityBytes OR free_bytes IS NOT @freeBytes OR used_bytes IS NOT @usedBytes)`);
  const updateSpace = db.transaction((nodeId: string, space: readonly ExportSpace[]) =>
    space.filter((entry) => setSpace.run({ ...entry, nodeId }).changes > 0).map((entry) => entry.exportId),
  );
  // Frees a kept export's mount path for the moment of the swap (ids are unique, mount paths start with '/').
  const park = db.prepare("UPDATE nas_exports SET mount_path = 'parked:' || id WHERE id = ?");
  const replace = db.transaction((nodeId: string, inputs: readonly ExportRecord[]) => {
    const keep = new Set(inputs.map((input) => input.id));
    for (const row of forNode.all(nodeId)) {
      // Two exports trading mount paths would each hit UNIQUE (node_id, mount_path) on the other's old value.
      if (keep.has(row.id)) park.run(row.id);
      else remove.run(row.id);
    }
    for (const record of inputs) {
      upsert.run({
        ...record,
        protocols: JSON.stringify(record.protocols),
        tags: JSON.stringify(record.tags),
      });
    }
  });
  /** The constraint a write broke, as the error both stores raise. */
  const constraintError = (error: unknown, nodeId: string): unknown => {
    if (isSqliteForeignKeyViolation(error)) return nodeMissing(nodeId, error);
    if (!isSqliteUniqueViolation(error)) return error;
    // SQLite names the columns: "UNIQUE constraint failed: nas_exports.node_id, nas_exports.mount_path".
    const field = (error as Error).message.includes('mount_path') ? 'mountPath' : 'path';
    return uniquenessConflict(field, `Node ${nodeId} already has an export at this ${field}`, error);
  };
  return {
    async replaceForNode(nodeId, inputs, newId, at) {
      requireUniqueInventory(nodeId, inputs);
      const existing = new Map(forNode.all(nodeId).map((row) => [row.path, row]));
      const records: ExportRecord[] = inputs.map((input) => {
        const kept = existing.get(input.path);
        return { ...input, id: kept?.id ?? newId(), nodeId, createdAt: kept?.created_at ?? at };
      });
      try {
        replace(nodeId, records);
      } catch (error) {
        throw constraintError(error, nodeId);
      }
      return records;
    },
    async put(record) {
      try {
        upsert.run({
          ...record,
          protocols: JSON.stringify(record.protocols),
          tags: JSON.stringify(record.tags),
        });
      } catch (error) {
        throw constraintError(error, record.nodeId);
      }
    },
    async byId(id) {
      const row = byId.get(id);
      return row && toExport(row);
    },
    async list() {
      return list.all().map(toExport);
    },
    async listForNode(nodeId) {
      return listForNode.all(nodeId).map(toExport);
    },
    async updateSpace(nodeId, space) {
      return updateSpace(nodeId, space);
    },
  };
}

function grantRepository(db: SqliteDatabase): GrantRepository {
  const forExport = db.prepare<[string], GrantRow>(
    'SELECT * FROM nas_grants WHERE export_id = ? ORDER BY created_at, user_id',
  );
  const forUser = db.prepare<[string], GrantRow>(
    'SELECT * FROM nas_grants WHERE user_id = ? ORDER BY created_at, export_id',
  );
  const find = db.prepare<[string, string], GrantRow>(
    'SELECT * FROM nas_grants WHERE export_id = ? AND user_id = ?',
  );
  const put = db.prepare(`
    INSERT INTO nas_grants (export_id, user_id, access, created_at) VALUES (@exportId, @userId, @access, @createdAt)
    ON CONFLICT (export_id, user_id) DO UPDATE SET access = excluded.access`);
  const remove = db.prepare('DELETE FROM nas_grants WHERE export_id = ? AND user_id = ?');
  return {
    async listForExport(exportId) {
      return forExport.all(exportId).map(toGrant);
    },
    async listForUser(userId) {
      return forUser.all(userId).map(toGrant);
    },
    async find(exportId, userId) {
      const row = find.get(exportId, userId);
      return row && toGrant(row);
    },
    async put(grant) {
      try {
        put.run(grant);
      } catch (error) {
        if (!isSqliteForeignKeyViolation(error)) throw error;
        throw exportMissing(grant.exportId, error);
      }
    },
    async remove(exportId, userId) {
      return remove.run(exportId, userId).changes > 0;
    },
  };
}

function credentialRepository(db: SqliteDatabase): CredentialRepository {
  const insert = db.prepare(`
    INSERT INTO nas_credentials (username, user_id, share_id, export_id, node_id, readonly, issued_at, expires_at, revoked_at)
    VALUES (@username, @userId, @shareId, @exportId, @nodeId, @readonly, @issuedAt, @expiresAt, NULL)`);
  // Each given field must match; a missing one (NULL) matches anything. The service requires at least one.
  const revokeWhere = db.prepare(`
    UPDATE nas_credentials SET revoked_at = @at
    WHERE revoked_at IS NULL AND expires_at > @now
      AND (@username IS NULL OR username = @username)
      AND (@userId IS NULL OR user_id = @userId)
      AND (@exportId IS NULL OR export_id = @exportId)
      AND (@nodeId IS NULL OR node_id = @nodeId)
      AND (@shareId IS NULL OR share_id = @shareId)`);
  const bump = db.prepare("UPDATE nas_counters SET value = value + 1 WHERE name = 'revocations'");
  const version = db.prepare<[], number>("SELECT value FROM nas_counters WHERE name = 'revocations'").pluck();
  const raise = db.prepare("UPDATE nas_counters SET value = MAX(value, ?) WHERE name = 'revocations'");
  const revoked = db
    .prepare<[string, number], string>(
      'SELECT username FROM nas_credentials WHERE node_id = ? AND revoked_at IS NOT NULL AND expires_at > ? ORDER BY username',
    )
    .pluck();
  const active = db.prepare<[number], CredentialRow>(
    'SELECT * FROM nas_credentials WHERE revoked_at IS NULL AND expires_at > ? ORDER BY issued_at DESC, username',
  );
  const activeForUser = db.prepare<[string, number], CredentialRow>(
    'SELECT * FROM nas_credentials WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY issued_at DESC, username',
  );
  const byUsername = db.prepare<[string], CredentialRow>('SELECT * FROM nas_credentials WHERE username = ?');
  const deleteExpired = db.prepare('DELETE FROM nas_credentials WHERE expires_at <= ?');
  const countActive = db
    .prepare<[string | null, number], number>(
      'SELECT COUNT(*) FROM nas_credentials WHERE user_id IS ? AND share_id IS NULL AND revoked_at IS NULL AND expires_at > ?',
    )
    .pluck();
  const countForShare = db
    .prepare<[string, number], number>(
      'SELECT COUNT(*) FROM nas_credentials WHERE share_id = ? AND revoked_at IS NULL AND expires_at > ?',
    )
    .pluck();
  const revoke = db.transaction((filter: CredentialFilter, at: string, now: number) => {
    const changes = revokeWhere.run({
      at,
      now,
      username: filter.username ?? null,
      userId: filter.userId ?? null,
      exportId: filter.exportId ?? null,
      nodeId: filter.nodeId ?? null,
      shareId: filter.shareId ?? null,
    }).changes;
    if (changes > 0) bump.run();
    return changes;
  });
  return {
    async create(credential) {
      try {
        insert.run({ ...credential, readonly: credential.readonly ? 1 : 0 });
      } catch (error) {
        if (!isSqliteUniqueViolation(error)) throw error;
        throw uniquenessConflict('username', `Credential ${credential.username} already exists`, error);
      }
    },
    async revoke(filter, at, nowSeconds) {
      return revoke(filter, at, nowSeconds);
    },
    async revokedForNode(nodeId, nowSeconds) {
      return revoked.all(nodeId, nowSeconds);
    },
    async revocationVersion() {
      return version.get() ?? 0;
    },
    async raiseRevocationVersion(to) {
      raise.run(to);
      return version.get() ?? 0;
    },
    async listActive(nowSeconds) {
      return active.all(nowSeconds).map(toCredential);
    },
    async listActiveForUser(userId, nowSeconds) {
      return activeForUser.all(userId, nowSeconds).map(toCredential);
    },
    async byUsername(username) {
      const row = byUsername.get(username);
      return row && toCredential(row);
    },
    async countActive(userId, nowSeconds) {
      return countActive.get(userId, nowSeconds) ?? 0;
    },
    async countActiveForShare(shareId, nowSeconds) {
      return countForShare.get(shareId, nowSeconds) ?? 0;
    },
    async deleteExpired(nowSeconds) {
      return deleteExpired.run(nowSeconds).changes;
    },
  };
}

function settingRepository(db: SqliteDatabase): SettingRepository {
  const get = db.prepare<[string], string>('SELECT value FROM nas_settings WHERE key = ?').pluck();
  const put = db.prepare(
    'INSERT INTO nas_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare('DELETE FROM nas_settings WHERE key = ?');
  const all = db.prepare<[], { key: string; value: string }>(
    'SELECT key, value FROM nas_settings ORDER BY key',
  );
  return {
    async get(key) {
      return get.get(key);
    },
    async set(key, value) {
      if (value === null) remove.run(key);
      else put.run(key, value);
    },
    async list() {
      return all.all();
    },
  };
}

export function createSqliteNasStore(db: SqliteDatabase): NasStore {
  return {
    nodes: nodeRepository(db),
    settings: settingRepository(db),
    exports: exportRepository(db),
    grants: grantRepository(db),
    credentials: credentialRepository(db),
    shares: sqliteShareRepository(db),
    attempts: sqliteAttemptRepository(db),
    managedExports: sqliteManagedExportRepository(db),
  };
}
