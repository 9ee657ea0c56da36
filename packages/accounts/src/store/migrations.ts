// SQLite schema of the accounts module.

import type { Migration } from '@homeport/core';

export const accountsMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, sessions, api tokens',
    up: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        password_hash TEXT,
        role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE INDEX sessions_expiry ON sessions(expires_at);
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        expires_at INTEGER
      );
      CREATE INDEX api_tokens_user ON api_tokens(user_id);
    `,
  },
  {
    version: 2,
    name: 'authentication settings, OIDC identities, login attempts and sessions',
    up: `
      CREATE TABLE auth_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE oidc_identities (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        display_name TEXT,
        email TEXT,
        email_verified INTEGER,
        groups TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        last_login_at TEXT,
        UNIQUE (issuer, subject)
      );
      CREATE INDEX oidc_identities_user ON oidc_identities(user_id);
      CREATE TABLE oidc_login_attempts (
        state_hash TEXT PRIMARY KEY,
        binding_hash TEXT NOT NULL,
        code_verifier TEXT NOT NULL,
        nonce TEXT NOT NULL,
        issuer TEXT NOT NULL,
        intent TEXT NOT NULL CHECK (intent IN ('login', 'link')),
        user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
        return_to TEXT,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX oidc_login_attempts_expiry ON oidc_login_attempts(expires_at);
      CREATE TABLE oidc_sessions (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        identity_id TEXT NOT NULL REFERENCES oidc_identities(id) ON DELETE CASCADE,
        id_token TEXT
      );
      CREATE INDEX oidc_sessions_identity ON oidc_sessions(identity_id);
    `,
  },
  {
    version: 3,
    name: "users' sessionsNotBefore",
    // Epoch milliseconds; NULL when never set. Sessions created before it read as ended.
    up: 'ALTER TABLE users ADD COLUMN sessions_not_before INTEGER;',
  },
];
