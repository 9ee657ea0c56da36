// Builds a betterNAS control-plane database as betterNAS keeps it (the table layout of
// /work/shared/reference/betternas-compat.md): WAL, foreign keys on, ordinals, node tokens as hex SHA-256 of
// known tokens, exports with protocols and tags, users with real bcrypt cost-10 hashes, a session.

import { createHash } from 'node:crypto';
import { hash } from '@node-rs/bcrypt';
import Database from 'better-sqlite3';

export interface FixtureUser {
  id: string;
  username: string;
  password: string;
  createdAt: string;
}

export interface FixtureNode {
  id: string;
  machineId: string;
  displayName: string;
  agentVersion: string;
  status: string;
  lastSeenAt: string | null;
  directAddress: string | null;
  relayAddress: string | null;
  /** The node token the agent holds; null: the node has no token row. */
  token: string | null;
}

export interface FixtureExport {
  id: string;
  nodeId: string;
  label: string;
  path: string;
  mountPath: string;
  capacityBytes: number | null;
  protocols: string[];
  tags: string[];
}

export interface BetternasFixture {
  users: FixtureUser[];
  nodes: FixtureNode[];
  exports: FixtureExport[];
  /** Session tokens (raw, as betterNAS stores them) with their user's id. */
  sessions: { token: string; userId: string }[];
}

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** A betterNAS agent's mount path for one of several exports: `/dav/exports/<sha256(path)>/`. */
export const multiExportMountPath = (path: string) => `/dav/exports/${sha256Hex(path)}/`;

/** Three users, three nodes (the third without a token row), four exports, one session. */
export function defaultFixture(): BetternasFixture {
  return {
    users: [
      {
        id: '0f3a9c1e',
        username: 'alice',
        password: 'alice-on-betternas',
        createdAt: '2025-09-01T08:00:00Z',
      },
      {
        id: '5b7d2e40',
        username: 'bob',
        password: 'bob-on-betternas-1',
        createdAt: '2025-09-02T10:30:15.123456789+02:00',
      },
      {
        id: '9e8c7a61',
        username: 'Carol',
        password: 'carol-on-betternas',
        createdAt: '2025-10-11T17:45:00Z',
      },
    ],
    nodes: [
      {
        id: 'dev-node',
        machineId: 'machine-a',
        displayName: 'Attic NAS',
        agentVersion: '0.3.1',
        status: 'online',
        lastSeenAt: '2026-01-15T12:00:00Z',
        directAddress: 'http://10.0.0.5:8090',
        relayAddress: null,
        token: 'node-token-of-dev-node-0123456789abcdef',
      },
      {
        id: 'dev-node-2',
        machineId: 'machine-b',
        displayName: 'Basement box',
        agentVersion: '0.3.0',
        status: 'offline',
        lastSeenAt: '',
        directAddress: null,
        relayAddress: 'https://relay.example.com/b',
        token: 'node-token-of-dev-node-2-fedcba9876543210',
      },
      {
        id: 'dev-node-3',
        machineId: 'machine-c',
        displayName: 'Closet Pi',
        agentVersion: '0.2.9',
        status: 'degraded',
        lastSeenAt: null,
        directAddress: 'http://10.0.0.7:8090',
        relayAddress: null,
        token: null,
      },
    ],
    exports: [
      {
        id: 'dev-export',
        nodeId: 'dev-node',
        label: 'Photos',
        path: '/srv/photos',
        mountPath: multiExportMountPath('/srv/photos'),
        capacityBytes: 2_000_000_000_000,
        protocols: ['webdav'],
        tags: ['family', 'photos'],
      },
      {
        id: 'dev-export-2',
        nodeId: 'dev-node',
        label: 'Media',
        path: '/srv/media',
        mountPath: multiExportMountPath('/srv/media'),
        capacityBytes: null,
        protocols: ['webdav'],
        tags: [],
      },
      {
        id: 'dev-export-3',
        nodeId: 'dev-node-2',
        label: 'Backups',
        path: '/srv/backups',
        mountPath: '/dav/',
        capacityBytes: 500_000_000_000,
        protocols: ['webdav'],
        tags: ['backup'],
      },
      {
        id: 'dev-export-4',
        nodeId: 'dev-node-3',
        label: 'Scans',
        path: '/home/pi/scans',
        mountPath: '/dav/',
        capacityBytes: 64_000_000_000,
        protocols: ['webdav'],
        tags: ['paper'],
      },
    ],
    sessions: [{ token: 'a1'.repeat(32), userId: '5b7d2e40' }],
  };
}

const SCHEMA = `
  CREATE TABLE ordinals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    machine_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seen_at TEXT,
    direct_address TEXT,
    relay_address TEXT
  );
  CREATE TABLE node_tokens (
    node_id TEXT PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL
  );
  CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    path TEXT NOT NULL,
    mount_path TEXT NOT NULL,
    capacity_bytes INTEGER,
    UNIQUE (node_id, path)
  );
  CREATE TABLE export_protocols (
    export_id TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    protocol TEXT NOT NULL,
    PRIMARY KEY (export_id, protocol)
  );
  CREATE TABLE export_tags (
    export_id TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (export_id, tag)
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
`;

/** Writes `fixture` into a new betterNAS database at `file` and closes it. */
export async function createBetternasDb(
  file: string,
  fixture: BetternasFixture = defaultFixture(),
): Promise<void> {
  const hashes = await Promise.all(fixture.users.map((user) => hash(user.password, { cost: 10 })));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    const insertNode = db.prepare(
      `INSERT INTO nodes (id, machine_id, display_name, agent_version, status, last_seen_at, direct_address,
         relay_address)
       VALUES (@id, @machineId, @displayName, @agentVersion, @status, @lastSeenAt, @directAddress, @relayAddress)`,
    );
    const insertToken = db.prepare('INSERT INTO node_tokens (node_id, token_hash) VALUES (?, ?)');
    const insertExport = db.prepare(
      `INSERT INTO exports (id, node_id, label, path, mount_path, capacity_bytes)
       VALUES (@id, @nodeId, @label, @path, @mountPath, @capacityBytes)`,
    );
    const insertProtocol = db.prepare('INSERT INTO export_protocols (export_id, protocol) VALUES (?, ?)');
    const insertTag = db.prepare('INSERT INTO export_tags (export_id, tag) VALUES (?, ?)');
    const insertUser = db.prepare(
      'INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)',
    );
    const insertSession = db.prepare(
      'INSERT INTO sessions (token, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      db.prepare('INSERT INTO ordinals (name, value) VALUES (?, ?)').run('node', fixture.nodes.length);
      db.prepare('INSERT INTO ordinals (name, value) VALUES (?, ?)').run('export', fixture.exports.length);
      for (const node of fixture.nodes) {
        const { token, ...row } = node;
        insertNode.run(row);
        if (token !== null) insertToken.run(node.id, sha256Hex(token));
      }
      for (const item of fixture.exports) {
        const { protocols, tags, ...row } = item;
        insertExport.run(row);
        for (const protocol of protocols) insertProtocol.run(item.id, protocol);
        for (const tag of tags) insertTag.run(item.id, tag);
      }
      fixture.users.forEach((user, index) => {
        insertUser.run(user.id, user.username, hashes[index], user.createdAt);
      });
      for (const session of fixture.sessions) {
        insertSession.run(session.token, session.userId, '2026-01-20T08:00:00Z', '2026-02-19T08:00:00Z');
      }
    })();
  } finally {
    db.close();
  }
}
