// Schema of the WebDAV state (locks and dead properties), recorded under the module name 'nas-dav'.

import type { Migration } from '@homeport/core';

/**
 * Both tables key a resource by the export root on disk plus the resource's path inside it ('/' or '/a/b', no
 * trailing slash), so one database serves every export of an agent and two shares of one folder see the same
 * locks. `parent` is stored so a PROPFIND Depth 1 fetches a folder's members' properties with one indexed query.
 */
export const davMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'locks and dead properties',
    up: `
      CREATE TABLE dav_locks (
        token TEXT PRIMARY KEY,
        root TEXT NOT NULL,
        path TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('exclusive', 'shared')),
        depth TEXT NOT NULL CHECK (depth IN ('0', 'infinity')),
        owner TEXT NOT NULL,
        principal TEXT NOT NULL,
        timeout_seconds INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX dav_locks_by_path ON dav_locks (root, path);

      CREATE TABLE dav_props (
        root TEXT NOT NULL,
        path TEXT NOT NULL,
        parent TEXT NOT NULL,
        ns TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        lang TEXT,
        PRIMARY KEY (root, path, ns, name)
      ) WITHOUT ROWID;
      CREATE INDEX dav_props_by_parent ON dav_props (root, parent);
    `,
  },
  {
    version: 2,
    name: 'uploads in progress',
    // A temp file is recorded before the body is written and forgotten once renamed or removed; rows left
    // by a crash name the files to delete at the next start.
    up: 'CREATE TABLE dav_uploads (path TEXT PRIMARY KEY, started_at INTEGER NOT NULL) WITHOUT ROWID;',
  },
  {
    version: 3,
    name: 'dead property bytes per export',
    // Kept by triggers, so every way rows change (PROPPATCH, COPY, MOVE, DELETE) counts, and the quota check
    // is one lookup instead of a sum over the export. A property's size is the bytes of what is stored.
    up: `
      CREATE TABLE dav_prop_usage (root TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO dav_prop_usage (root, bytes)
        SELECT root, SUM(length(CAST(ns AS BLOB)) + length(CAST(name AS BLOB)) + length(CAST(value AS BLOB))
          + coalesce(length(CAST(lang AS BLOB)), 0)) FROM dav_props GROUP BY root;
      CREATE TRIGGER dav_props_usage_insert AFTER INSERT ON dav_props BEGIN
        INSERT OR IGNORE INTO dav_prop_usage (root, bytes) VALUES (NEW.root, 0);
        UPDATE dav_prop_usage SET bytes = bytes + (length(CAST(NEW.ns AS BLOB)) + length(CAST(NEW.name AS BLOB)) + length(CAST(NEW.value AS BLOB)) + coalesce(length(CAST(NEW.lang AS BLOB)), 0)) WHERE root = NEW.root;
      END;
      CREATE TRIGGER dav_props_usage_delete AFTER DELETE ON dav_props BEGIN
        UPDATE dav_prop_usage SET bytes = bytes - (length(CAST(OLD.ns AS BLOB)) + length(CAST(OLD.name AS BLOB)) + length(CAST(OLD.value AS BLOB)) + coalesce(length(CAST(OLD.lang AS BLOB)), 0)) WHERE root = OLD.root;
      END;
      CREATE TRIGGER dav_props_usage_update AFTER UPDATE OF ns, name, value, lang ON dav_props BEGIN
        UPDATE dav_prop_usage SET bytes = bytes - (length(CAST(OLD.ns AS BLOB)) + length(CAST(OLD.name AS BLOB)) + length(CAST(OLD.value AS BLOB)) + coalesce(length(CAST(OLD.lang AS BLOB)), 0)) + (length(CAST(NEW.ns AS BLOB)) + length(CAST(NEW.name AS BLOB)) + length(CAST(NEW.value AS BLOB)) + coalesce(length(CAST(NEW.lang AS BLOB)), 0)) WHERE root = NEW.root;
      END;
    `,
  },
  {
    version: 4,
    name: 'lock owners stored as whole elements',
    // The owner now carries its namespace declarations on D:owner itself (each declared once); rows taken
    // before are content only, so they get the element around them.
    up: "UPDATE dav_locks SET owner = '<D:owner>' || owner || '</D:owner>' WHERE owner != '';",
  },
];
