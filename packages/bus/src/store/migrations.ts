// SQLite schema of the bus control plane (tables prefixed bus_; Homeport accounts are referenced by id, not
// joined). A room's members, their sealed keys and its blob references go with it (ON DELETE CASCADE), and a
// member's keys go with the member, so a removed member holds no key and one added again only the new ones.

import type { Migration } from '@homeport/core';

export const busMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, rooms, members, sealed keys, nonces, NATS credentials, revocations, blobs, gateways',
    up: `
      CREATE TABLE bus_users (
        sign_pub TEXT PRIMARY KEY,
        kex_pub TEXT NOT NULL,
        handle TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        user_id TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX bus_users_account ON bus_users(user_id, created_at);
      CREATE TABLE bus_rooms (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('chat', 'agent')),
        subject TEXT NOT NULL,
        encrypted INTEGER NOT NULL,
        persisted INTEGER NOT NULL,
        signed INTEGER NOT NULL,
        rotation_max_age_ms INTEGER,
        rotation_max_messages INTEGER,
        history TEXT NOT NULL CHECK (history IN ('shared', 'joined')),
        retention_max_messages INTEGER NOT NULL,
        retention_max_bytes INTEGER NOT NULL,
        retention_max_age_ms INTEGER NOT NULL,
        owner_sign_pub TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        epoch_started_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE bus_members (
        room_id TEXT NOT NULL REFERENCES bus_rooms(id) ON DELETE CASCADE,
        sign_pub TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
        joined_epoch INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        PRIMARY KEY (room_id, sign_pub)
      );
      CREATE INDEX bus_members_identity ON bus_members(sign_pub);
      CREATE TABLE bus_room_keys (
        room_id TEXT NOT NULL,
        sign_pub TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        sealed TEXT NOT NULL,
        sealed_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (room_id, sign_pub, epoch),
        FOREIGN KEY (room_id, sign_pub) REFERENCES bus_members(room_id, sign_pub) ON DELETE CASCADE
      );
      CREATE TABLE bus_nonces (
        sign_pub TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (sign_pub, nonce)
      );
      CREATE INDEX bus_nonces_expiry ON bus_nonces(expires_at_ms);
      CREATE TABLE bus_nats_credentials (
        nats_pub TEXT PRIMARY KEY,
        sign_pub TEXT NOT NULL,
        issued_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE INDEX bus_nats_credentials_identity ON bus_nats_credentials(sign_pub, expires_at_ms);
      CREATE INDEX bus_nats_credentials_expiry ON bus_nats_credentials(expires_at_ms);
      CREATE TABLE bus_revocations (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revocations TEXT NOT NULL,
        revision INTEGER NOT NULL
      );
      CREATE TABLE bus_blob_refs (
        room_id TEXT NOT NULL REFERENCES bus_rooms(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (room_id, hash)
      );
      CREATE INDEX bus_blob_refs_hash ON bus_blob_refs(hash);
      CREATE TABLE bus_gateway_identities (
        user_id TEXT PRIMARY KEY,
        sign_pub TEXT NOT NULL,
        kex_pub TEXT NOT NULL,
        sealed_private TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
];
