// SQLite schema of the deploy module (tables prefixed deploy_). A stage's live state, releases and deploys go
// with it (ON DELETE CASCADE); a project with stages cannot be removed (RESTRICT). Configurations, steps and
// errors are JSON text: they are read and written whole, never queried by field.

import type { Migration } from '@homeport/core';

export const deployMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'projects, stages, live state, releases, deploys, logs, webhook event claims',
    up: `
      CREATE TABLE deploy_projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        registry_auth TEXT,
        poll_interval_ms INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE deploy_stages (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES deploy_projects(id) ON DELETE RESTRICT,
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        -- config.host lower-cased: the column the uniqueness of public host names rests on.
        host TEXT UNIQUE,
        config_revision INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (project_id, name)
      );
      CREATE TABLE deploy_live (
        stage_id TEXT PRIMARY KEY REFERENCES deploy_stages(id) ON DELETE CASCADE,
        release_id TEXT NOT NULL,
        color TEXT NOT NULL CHECK (color IN ('blue', 'green')),
        container_id TEXT NOT NULL,
        port INTEGER NOT NULL,
        since TEXT NOT NULL,
        previous TEXT
      );
      CREATE TABLE deploy_releases (
        id TEXT PRIMARY KEY,
        stage_id TEXT NOT NULL REFERENCES deploy_stages(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        image TEXT NOT NULL,
        tag TEXT,
        digest TEXT NOT NULL,
        config TEXT NOT NULL,
        config_revision INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        succeeded_at TEXT,
        UNIQUE (stage_id, seq)
      );
      CREATE INDEX deploy_releases_digest ON deploy_releases(stage_id, digest, config_revision);
      CREATE TABLE deploy_deploys (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        stage_id TEXT NOT NULL REFERENCES deploy_stages(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        requested_by TEXT,
        tag TEXT,
        digest TEXT,
        release_id TEXT,
        status TEXT NOT NULL CHECK (status IN
          ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded', 'rolled_back')),
        steps TEXT NOT NULL,
        error TEXT,
        color TEXT CHECK (color IN ('blue', 'green')),
        runner TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        UNIQUE (stage_id, seq)
      );
      -- One running deploy per stage, held by the database whatever connection or process claims.
      CREATE UNIQUE INDEX deploy_deploys_one_running ON deploy_deploys(stage_id) WHERE status = 'running';
      CREATE INDEX deploy_deploys_queued ON deploy_deploys(stage_id, seq) WHERE status = 'queued';
      CREATE INDEX deploy_deploys_stage_created ON deploy_deploys(stage_id, created_at, seq);
      CREATE INDEX deploy_deploys_project_created ON deploy_deploys(project_id, created_at, seq);
      CREATE INDEX deploy_deploys_created ON deploy_deploys(created_at, seq);
      -- One row per line; (stream, seq) is the key, so the last seq, a page and the trim are index ranges.
      CREATE TABLE deploy_logs (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('deploy', 'stdout', 'stderr')),
        line TEXT NOT NULL,
        PRIMARY KEY (stream, seq)
      ) WITHOUT ROWID;
      CREATE TABLE deploy_webhook_events (
        key TEXT PRIMARY KEY,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE INDEX deploy_webhook_events_expiry ON deploy_webhook_events(expires_at_ms);
    `,
  },
];
