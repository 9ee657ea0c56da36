// SQLite schema of the NAS control plane (tables prefixed nas_; users are referenced by id, not joined).

import type { Migration } from '@homeport/core';

export const nasMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'nodes, exports, grants, mount credentials',
    up: `
      CREATE TABLE nas_nodes (
        id TEXT PRIMARY KEY,
        machine_id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        agent_version TEXT NOT NULL,
        reported_status TEXT NOT NULL,
        status TEXT NOT NULL,
        last_seen_at INTEGER,
        direct_address TEXT,
        relay_address TEXT,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE nas_exports (
        id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL REFERENCES nas_nodes(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        path TEXT NOT NULL,
        mount_path TEXT NOT NULL,
        protocols TEXT NOT NULL,
        capacity_bytes INTEGER,
        tags TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (node_id, path),
        UNIQUE (node_id, mount_path)
      );
      CREATE TABLE nas_grants (
        export_id TEXT NOT NULL REFERENCES nas_exports(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        access TEXT NOT NULL CHECK (access IN ('read-write', 'read-only')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (export_id, user_id)
      );
      CREATE INDEX nas_grants_user ON nas_grants(user_id);
      CREATE TABLE nas_credentials (
        username TEXT PRIMARY KEY,
        user_id TEXT,
        export_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        readonly INTEGER NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX nas_credentials_node ON nas_credentials(node_id, expires_at);
      CREATE TABLE nas_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO nas_counters (name, value) VALUES ('revocations', 0);
    `,
  },
  {
    version: 2,
    name: 'node key generations, re-enrolment tokens',
    up: `
      ALTER TABLE nas_nodes ADD COLUMN key_id INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE nas_nodes ADD COLUMN grace_from_key_id INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE nas_nodes ADD COLUMN grace_until INTEGER;
      ALTER TABLE nas_nodes ADD COLUMN enrolment_hash TEXT;
      ALTER TABLE nas_nodes ADD COLUMN enrolment_expires_at INTEGER;
      CREATE INDEX nas_credentials_user ON nas_credentials(user_id);
      CREATE INDEX nas_credentials_export ON nas_credentials(export_id);
    `,
  },
  {
    version: 3,
    name: 'free and used space of exports',
    // Optional in betterNAS's inventory: NULL where an agent does not report them.
    up: `
      ALTER TABLE nas_exports ADD COLUMN free_bytes INTEGER;
      ALTER TABLE nas_exports ADD COLUMN used_bytes INTEGER;
    `,
  },
  {
    version: 4,
    name: 'agent kinds, no-access grants, module settings',
    // Nodes already registered were Homeport agents. SQLite cannot change a CHECK in place: the grants
    // table is rebuilt to admit 'none' (hides an export from a member whatever the default access).
    up: `
      ALTER TABLE nas_nodes ADD COLUMN agent_kind TEXT NOT NULL DEFAULT 'homeport';
      CREATE TABLE nas_grants_new (
        export_id TEXT NOT NULL REFERENCES nas_exports(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        access TEXT NOT NULL CHECK (access IN ('read-write', 'read-only', 'none')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (export_id, user_id)
      );
      INSERT INTO nas_grants_new SELECT export_id, user_id, access, created_at FROM nas_grants;
      DROP TABLE nas_grants;
      ALTER TABLE nas_grants_new RENAME TO nas_grants;
      CREATE INDEX nas_grants_user ON nas_grants(user_id);
      CREATE TABLE nas_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 5,
    name: 'share links, their credentials, password attempts',
    // No foreign key to the export: a link whose export went stays listed (and refuses to open) until it
    // expires, as its creator may want to see why it stopped working.
    up: `
      ALTER TABLE nas_credentials ADD COLUMN share_id TEXT;
      CREATE INDEX nas_credentials_share ON nas_credentials(share_id) WHERE share_id IS NOT NULL;
      CREATE TABLE nas_shares (
        id TEXT PRIMARY KEY,
        export_id TEXT NOT NULL,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
        mode TEXT NOT NULL CHECK (mode IN ('view', 'drop')),
        secret_hash TEXT NOT NULL,
        password_hash TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at TEXT,
        opens INTEGER NOT NULL DEFAULT 0,
        last_opened_at TEXT
      );
      CREATE INDEX nas_shares_creator ON nas_shares(created_by);
      CREATE INDEX nas_shares_expiry ON nas_shares(expires_at);
      CREATE TABLE nas_attempts (key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_start INTEGER NOT NULL);
    `,
  },
  {
    version: 6,
    name: 'exports added from the UI',
    // One JSON document per node (its roots and managed exports), written in one transaction, as on KV.
    up: `
      CREATE TABLE nas_managed_exports (node_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    `,
  },
];
