// Reads a betterNAS control-plane database (BETTERNAS_CONTROL_PLANE_DB_PATH), read-only, after checking it has
// every table and column the importer reads.

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MigrateError } from './errors.js';

export interface BetternasUser {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: string;
}

export interface BetternasNode {
  id: string;
  machineId: string;
  displayName: string;
  agentVersion: string;
  status: string;
  lastSeenAt: string | null;
  directAddress: string | null;
  relayAddress: string | null;
  /** Hex SHA-256 of the node token; null when the node has no token row. */
  tokenHash: string | null;
}

export interface BetternasExport {
  id: string;
  nodeId: string;
  label: string;
  path: string;
  mountPath: string;
  capacityBytes: number | null;
  protocols: string[];
  tags: string[];
}

/** Everything the importer needs from betterNAS, read in one go. */
export interface BetternasSnapshot {
  file: string;
  users: BetternasUser[];
  nodes: BetternasNode[];
  exports: BetternasExport[];
  /** Sessions are counted, not imported (Homeport keeps only hashes of session tokens). */
  sessionCount: number;
}

/** The columns read from each table (betterNAS's own `ordinals` counters are not needed). */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  users: ['id', 'username', 'password_hash', 'created_at'],
  sessions: ['token', 'user_id'],
  nodes: [
    'id',
    'machine_id',
    'display_name',
    'agent_version',
    'status',
    'last_seen_at',
    'direct_address',
    'relay_address',
  ],
  node_tokens: ['node_id', 'token_hash'],
  exports: ['id', 'node_id', 'label', 'path', 'mount_path', 'capacity_bytes'],
  export_protocols: ['export_id', 'protocol'],
  export_tags: ['export_id', 'tag'],
};

// Go's database/sql stores what it was given: text usually, but an id or a number may come back as either.
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const optionalText = (value: unknown): string | null => {
  const result = text(value).trim();
  return result === '' ? null : result;
};
const optionalInteger = (value: unknown): number | null => {
  if (value === null || value === undefined || value === '') return null;
  const result = Number(value);
  return Number.isSafeInteger(result) ? result : null;
};

type Row = Record<string, unknown>;

function missingSchema(db: Database.Database): string[] {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(REQUIRED)) {
    // table_info of a table that does not exist returns no rows.
    const present = new Set(
      (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name),
    );
    if (present.size === 0) {
      missing.push(`table ${table}`);
      continue;
    }
    for (const column of columns) if (!present.has(column)) missing.push(`column ${table}.${column}`);
  }
  return missing;
}

function readSnapshot(db: Database.Database, file: string): BetternasSnapshot {
  const all = (sql: string) => db.prepare(sql).all() as Row[];
  const listsOf = (sql: string) => {
    const lists = new Map<string, string[]>();
    for (const row of all(sql)) {
      const key = text(row.owner);
      const list = lists.get(key) ?? [];
      list.push(text(row.value));
      lists.set(key, list);
    }
    return lists;
  };
  const tokens = new Map<string, string>();
  for (const row of all('SELECT node_id, token_hash FROM node_tokens')) {
    const hash = optionalText(row.token_hash);
    if (hash !== null) tokens.set(text(row.node_id), hash);
  }
  const protocols = listsOf('SELECT export_id AS owner, protocol AS value FROM export_protocols');
  const tags = listsOf('SELECT export_id AS owner, tag AS value FROM export_tags');
  return {
    file,
    users: all('SELECT id, username, password_hash, created_at FROM users ORDER BY lower(username)').map(
      (row) => ({
        id: text(row.id),
        username: text(row.username),
        passwordHash: text(row.password_hash),
        createdAt: text(row.created_at),
      }),
    ),
    nodes: all('SELECT * FROM nodes ORDER BY id').map((row) => ({
      id: text(row.id),
      machineId: text(row.machine_id).trim(),
      displayName: text(row.display_name),
      agentVersion: text(row.agent_version),
      status: text(row.status),
      lastSeenAt: optionalText(row.last_seen_at),
      directAddress: optionalText(row.direct_address),
      relayAddress: optionalText(row.relay_address),
      tokenHash: tokens.get(text(row.id)) ?? null,
    })),
    exports: all('SELECT * FROM exports ORDER BY node_id, id').map((row) => ({
      id: text(row.id),
      nodeId: text(row.node_id),
      label: text(row.label),
      path: text(row.path),
      mountPath: text(row.mount_path),
      capacityBytes: optionalInteger(row.capacity_bytes),
      protocols: protocols.get(text(row.id)) ?? [],
      tags: tags.get(text(row.id)) ?? [],
    })),
    sessionCount: Number(db.prepare('SELECT COUNT(*) FROM sessions').pluck().get()),
  };
}

/**
 * Opens `file` read-only, checks its tables and columns, and reads everything the importer needs. Throws
 * MigrateError naming what is wrong (missing file, not SQLite, the missing tables and columns).
 *
 * @example
 *   const snapshot = readBetternasDatabase('/var/lib/betternas/control-plane.db');
 */
export function readBetternasDatabase(file: string): BetternasSnapshot {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    throw new MigrateError('source_missing', `betterNAS database ${file} not found`, { cause: error });
  }
  if (!isFile) throw new MigrateError('source_missing', `betterNAS database ${file} is not a file`);

  let db: Database.Database;
  try {
    // Read-only: SQLite still reads betterNAS's -wal file, so writes it never checkpointed are seen.
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new MigrateError(
      'source_not_sqlite',
      `cannot open betterNAS database ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    let missing: string[];
    try {
      missing = missingSchema(db);
    } catch (error) {
      // SQLite reads the header only at the first statement; a file that is not a database fails here.
      throw new MigrateError(
        'source_not_sqlite',
        `${file} is not a SQLite database (${(error as Error).message})`,
        { cause: error },
      );
    }
    if (missing.length > 0) {
      throw new MigrateError(
        'source_schema',
        `${file} does not look like a betterNAS control-plane database: missing ${missing.join(', ')}`,
        { details: { missing } },
      );
    }
    return readSnapshot(db, file);
  } finally {
    db.close();
  }
}
